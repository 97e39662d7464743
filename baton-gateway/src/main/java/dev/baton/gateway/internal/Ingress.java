package dev.baton.gateway.internal;

import dev.baton.Admission;
import dev.baton.Baton;
import dev.baton.InboundMessage;
import io.micrometer.core.instrument.MeterRegistry;
import org.jspecify.annotations.Nullable;

/*
 * Overview: the one door from every channel into the engine. Counts admissions per channel and result and
 * refuses new messages while the gateway drains (503, so platforms retry later).
 * A busy answer (overflow_action return_busy_message) is not sent from here: the engine commits the busy
 * reply to the session's outbox and hands it to the ReplyRouter, which puts it on the platform's outbound
 * lane like any other reply. That journaled reply is the only one, so each overflowed message gets exactly
 * one busy message (sending another here made every platform busy reply go out twice). A refusal by a P11
 * bound stores and sends nothing: submitPlatform answers it 503 so the platform redelivers.
 * Concurrency: thread-safe; submit() blocks while the store journals the message.
 */
final class Ingress {

  private final Baton engine;
  private final MeterRegistry meters;
  private volatile boolean draining;
  /** The console's timeline (with admin.token), told of each accepted message. */
  private volatile @Nullable ConsoleTimeline timeline;

  public Ingress(Baton engine, MeterRegistry meters) {
    this.engine = engine;
    this.meters = meters;
  }

  public Admission submit(InboundMessage m) {
    if (draining) throw new HttpError(503, "shutting_down", "the server is shutting down; retry later");
    ConsoleTimeline t = timeline;
    java.time.Instant before = t == null ? null : t.now(); // its turn may start before submit returns
    Admission a = engine.submit(m);
    GatewayTracing.admitted(m, a);
    String result = switch (a) {
      case Admission.Accepted x -> "accepted";
      case Admission.Duplicate x -> "duplicate";
      case Admission.Busy x -> "busy";
      case Admission.Rejected x -> "rejected";
    };
    meters.counter("baton.gateway.admissions", "channel", m.channel(), "result", result).increment();
    if (t != null && before != null && a instanceof Admission.Accepted acc) {
      t.record(acc.session().value(), "message", "accepted " + m.messageId() + " from " + m.sender(), m.text(),
          before);
    }
    return a;
  }

  /**
   * Submits a platform message. A P11 refusal stores nothing and sends nothing ({@link Admission.Busy} with
   * {@code replyQueued} false), so the webhook must not answer 200: that would tell the platform the message was
   * taken and it would never come back. It is answered 503 instead, and the platform delivers it again later
   * (Telegram, Slack and WhatsApp retry with backoff; Discord shows the user that the interaction failed).
   */
  public Admission submitPlatform(InboundMessage m) {
    Admission a = submit(m);
    if (a instanceof Admission.Busy b && !b.replyQueued()) {
      throw new HttpError(503, "busy", "too busy to take this message now; deliver it again later");
    }
    return a;
  }

  void timeline(ConsoleTimeline t) {
    this.timeline = t;
  }

  public void stopIntake() {
    draining = true;
  }

  public boolean draining() {
    return draining;
  }
}
