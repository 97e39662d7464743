package dev.baton.internal.engine;

import dev.baton.DedupKey;
import dev.baton.OrderKey;
import dev.baton.spi.JournalEntry;
import io.opentelemetry.context.Context;

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

  /**
   * The tracing context it was admitted under (its ingress span; docs/tracing.md), in memory only: a message
   * recovered after a restart or adopted by another node has {@link Context#root()} and its turn starts a new trace.
   */
  final Context trace;

  QueuedMessage(JournalEntry entry, long arrivalNanos) {
    this(entry, arrivalNanos, Context.root());
  }

  QueuedMessage(JournalEntry entry, long arrivalNanos, Context trace) {
    this.entry = entry;
    this.arrivalNanos = arrivalNanos;
    this.trace = trace;
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
