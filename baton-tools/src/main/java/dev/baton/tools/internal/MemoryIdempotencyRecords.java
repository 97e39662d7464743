package dev.baton.tools.internal;

import dev.baton.SessionKey;
import dev.baton.spi.IdempotencyRecords;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** Idempotency records in memory, for a runtime built without a store. Thread-safe; nothing survives. */
public final class MemoryIdempotencyRecords implements IdempotencyRecords {
  private record Id(SessionKey session, String tool, String key) {}

  private final ConcurrentHashMap<Id, Record> records = new ConcurrentHashMap<>();

  @Override
  public Optional<Record> find(SessionKey session, String tool, String key) {
    return Optional.ofNullable(records.get(new Id(session, tool, key)));
  }

  @Override
  public Record putIfAbsent(SessionKey session, String tool, String key, Record record) {
    Record prev = records.putIfAbsent(new Id(session, tool, key), record);
    return prev == null ? record : prev;
  }

  /** Forgets records that expired before {@code now}. */
  public void prune(java.time.Instant now) {
    records.values().removeIf(r -> r.expiresAt().isBefore(now));
  }
}
