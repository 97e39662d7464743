package dev.baton.gateway.internal;

import dev.baton.Admission;
import dev.baton.Baton;
import dev.baton.InboundMessage;
import dev.baton.Reply;
import dev.baton.SessionKey;
import dev.baton.config.BatonConfig;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.OptionalLong;

/*
 * Overview: the one door from every channel into the engine. Counts admissions per channel and result,
 * refuses new messages while the gateway drains (503, so platforms retry later), and for platform
 * channels sends the busy text back through the channel's outbound lane (the webhook answer cannot carry it).
 * Concurrency: thread-safe; submit() blocks while the store journals the message.
 */
public final class Ingress {

  private final Baton engine;
  private final BatonConfig config;
  private final OutboundDelivery outbound;
  private final MeterRegistry meters;
  private volatile boolean draining;

  public Ingress(Baton engine, BatonConfig config, OutboundDelivery outbound, MeterRegistry meters) {
    this.engine = engine;
    this.config = config;
    this.outbound = outbound;
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

  /** Submits a platform message; a busy answer goes back to the user through the platform's API. */
  public Admission submitPlatform(InboundMessage m) {
    Admission a = submit(m);
    if (a instanceof Admission.Busy busy) {
      SessionKey session = SessionKey.derive(m, config.sessions().idSource());
      outbound.enqueue(new Reply(session, 0, m.channel(), m.effectiveChat(), m.messageId(), Reply.Kind.BUSY,
          busy.reply(), OptionalLong.empty(), m.routing()));
    }
    return a;
  }

  public void stopIntake() {
    draining = true;
  }

  public boolean draining() {
    return draining;
  }
}
