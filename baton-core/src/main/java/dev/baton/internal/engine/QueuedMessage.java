package dev.baton.internal.engine;

import dev.baton.DedupKey;
import dev.baton.OrderKey;
import dev.baton.spi.JournalEntry;

/**
 * One admitted message on its way through a session's reorder buffer and mailbox. Immutable except for
 * {@link #started}, which is guarded by the owning {@link SessionActor}'s monitor.
 */
final class QueuedMessage {

  final JournalEntry entry;
  /** Scheduler nanos at arrival; the queue timeout counts from here (P4). */
  final long arrivalNanos;
  /** Whether a turn already began with it (an interrupted turn's messages do not expire again). */
  boolean started;

  QueuedMessage(JournalEntry entry, long arrivalNanos) {
    this.entry = entry;
    this.arrivalNanos = arrivalNanos;
  }

  DedupKey key() {
    return entry.key();
  }

  OrderKey order() {
    return entry.message().order();
  }

  /** The id shown to the agent and in replies: the platform id, or the dedup key when there is none. */
  String messageId() {
    String id = entry.message().messageId();
    return id.isEmpty() ? entry.key().value() : id;
  }

  @Override
  public String toString() {
    return entry.key().value();
  }
}
