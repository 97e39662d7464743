package dev.baton.internal.engine;

import dev.baton.Admission;
import dev.baton.DedupKey;
import dev.baton.Reply;
import dev.baton.config.ConcurrencyConfig;
import dev.baton.spi.MessageStatus;
import dev.baton.spi.TurnCommit;
import java.util.List;
import java.util.OptionalLong;
import org.jspecify.annotations.Nullable;

/*
 * Overview
 *   What becomes of a journaled message its session did not queue (P3, P9, P11): decide() maps the actor's
 *   Offer and concurrency.overflow_action to one Decision, the only place that reads the setting. From the
 *   decision follow, without deciding again: whether the dedup key is released (a retry is then new, not a
 *   duplicate), the lane task the actor queues under its monitor (busy reply, late-drop error reply, drop
 *   status), and the Admission submit answers with (counted in the engine's metrics).
 *
 *   queue full / busy running -> return_busy_message: key released, Busy (with the busy reply on the lane);
 *                                reject: key released, Rejected; drop: key kept, Rejected, ended DROPPED.
 *   late (ordering.late_policy drop) -> key kept, Rejected, ended DROPPED with an error reply.
 *   max_queued_total (P11)   -> key released, Busy, nothing stored, no reply.
 *
 * Concurrency
 *   Stateless apart from the engine's thread-safe counters; laneTask runs under the actor's monitor (it only
 *   builds the task), admission in the submitting thread.
 */
/** The engine's one overflow policy. */
final class OverflowPolicy {

  /** What is done with a message that was not queued. */
  enum Decision {
    BUSY_REPLY(true), REJECT(true), DROP(false), LATE_DROP(false), REFUSE_TOTAL(true);

    private final boolean releasesKey;

    Decision(boolean releasesKey) {
      this.releasesKey = releasesKey;
    }

    /** Whether the dedup key is given back (the message was never stored as work; a retry is new). */
    boolean releasesKey() {
      return releasesKey;
    }
  }

  private final Engine engine;
  private final ConcurrencyConfig.OverflowAction action;
  private final String busyMessage;

  OverflowPolicy(Engine engine) {
    this.engine = engine;
    this.action = engine.concurrency.overflowAction();
    this.busyMessage = engine.concurrency.busyMessage();
  }

  /** The one decision. */
  Decision decide(SessionActor.Offer why) {
    return switch (why) {
      case TOTAL_FULL -> Decision.REFUSE_TOTAL;
      case LATE_DROPPED -> Decision.LATE_DROP;
      case FULL, BUSY_RUNNING -> switch (action) {
        case RETURN_BUSY_MESSAGE -> Decision.BUSY_REPLY;
        case REJECT -> Decision.REJECT;
        case DROP -> Decision.DROP;
      };
      case QUEUED, RETIRED -> throw new IllegalArgumentException("not a refusal: " + why);
    };
  }

  /** The lane task for the decision, or null. Built under the actor's monitor; runs on its lane. */
  @Nullable Runnable laneTask(SessionActor a, QueuedMessage m, Decision d) {
    return switch (d) {
      case REFUSE_TOTAL, REJECT -> null; // nothing stored, no reply
      case LATE_DROP -> {
        Reply r = StagedTurn.reply(a.key, m, Reply.Kind.ERROR, Engine.LATE_TEXT, OptionalLong.empty());
        yield () -> engine.commitAndDeliver(a, Engine.finish(a, List.of(m.key()), MessageStatus.DROPPED,
            List.of(r)));
      }
      case BUSY_REPLY -> {
        Reply r = StagedTurn.reply(a.key, m, Reply.Kind.BUSY, busyMessage, OptionalLong.empty());
        yield () -> engine.commitAndDeliver(a, TurnCommit.finishOnly(a.key, List.of(), MessageStatus.DONE,
            List.of(r)));
      }
      case DROP -> () -> {
        engine.store.updateStatus(List.of(m.key()), MessageStatus.DROPPED);
        engine.ownership.committed(List.of(m.key()));
      };
    };
  }

  /** What submit answers for the decision (after the caller released the key if the decision says so). */
  Admission admission(DedupKey key, SessionActor.Offer why, Decision d) {
    String reason = why == SessionActor.Offer.FULL ? "queue full" : "busy: a turn is running";
    EngineMetrics m = engine.metrics;
    return switch (d) {
      case REFUSE_TOTAL -> {
        engine.bounds.refusedQueuedTotal.increment();
        m.busy.increment();
        yield new Admission.Busy(key, Bounds.QUEUED_TOTAL_TEXT);
      }
      case LATE_DROP -> {
        m.rejected.increment();
        yield new Admission.Rejected(key, "late: later messages of this session were already answered");
      }
      case BUSY_REPLY -> {
        m.busy.increment();
        yield new Admission.Busy(key, busyMessage, true); // the lane task sends the reply
      }
      case REJECT -> {
        m.rejected.increment();
        yield new Admission.Rejected(key, reason);
      }
      case DROP -> {
        m.rejected.increment();
        yield new Admission.Rejected(key, "dropped: " + reason);
      }
    };
  }
}
