package dev.baton.spi;

import dev.baton.SessionKey;
import java.time.Instant;
import java.util.Optional;

/**
 * Durable results of completed tool calls, keyed by (session, tool, idempotency key) (P6). A record is
 * written as soon as the call completes — not with the turn — so a turn that runs again after a crash finds
 * it and does not repeat the side effect. In-flight coordination (a repeat waiting for the first call) is the
 * tool runtime's job, in memory; this is only the durable part.
 *
 * <p>Thread-safe; {@link #putIfAbsent} is atomic and durable when it returns.
 */
public interface IdempotencyRecords {

  /**
   * One stored result.
   *
   * @param argumentsHash a hash of the call's arguments, to refuse a key reused with other arguments
   * @param outcome {@code ok} or an error code the runtime chose to record
   * @param result the result payload (JSON)
   * @param expiresAt when the record may be pruned
   */
  record Record(String argumentsHash, String outcome, String result, Instant expiresAt) {}

  Optional<Record> find(SessionKey session, String tool, String key);

  /** Stores {@code record} unless one exists; returns the one that is stored afterwards. */
  Record putIfAbsent(SessionKey session, String tool, String key, Record record);

  /** Records in memory (a tool runtime built without a store): nothing survives the process. */
  static IdempotencyRecords inMemory() {
    return new dev.baton.internal.store.MemoryIdempotency();
  }
}
