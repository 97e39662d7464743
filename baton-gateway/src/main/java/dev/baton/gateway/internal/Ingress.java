package dev.baton.gateway.internal;

import dev.baton.Admission;
import dev.baton.Baton;
import dev.baton.InboundMessage;
import io.micrometer.core.instrument.MeterRegistry;

/*
 * Overview: the one door from every channel into the engine. Counts admissions per channel and result and
 * refuses new messages while the gateway drains (503, so platforms retry later).
 * A busy answer (overflow_action return_busy_message) is not sent from here: the engine commits the busy
 * reply to the session's outbox and hands it to the ReplyRouter, which puts it on the platform's outbound
 * lane like any other reply. That journaled reply is the only one, so each overflowed message gets exactly
 * one busy message (sending another here made every platform busy reply go out twice).
 * Concurrency: thread-safe; submit() blocks while the store journals the message.
 */
public final class Ingress {

  private final Baton engine;
  private final MeterRegistry meters;
  private volatile boolean draining;

  public Ingress(Baton engine, MeterRegistry meters) {
    this.engine = engine;
    this.meters = meters;
  }

  public Admission submit(InboundMessage m) {
    if (draining) throw new HttpError(503, "shutting_down", "the server is shutting down; retry later");
    Admission a = engine.submit(m);
    String result = switch (a) {
      case Admission.Accepted x -> "accepted";
      case Admission.Duplicate x -> "duplicate";
      case Admission.Busy x -> "busy";
      case Admission.Rejected x -> "rejected";
    };
    meters.counter("baton.gateway.admissions", "channel", m.channel(), "result", result).increment();
    return a;
  }

  public void stopIntake() {
    draining = true;
  }

  public boolean draining() {
    return draining;
  }
}
