package dev.baton.internal.store;

import dev.baton.SessionKey;
import dev.baton.spi.IdempotencyRecords;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Idempotency records in a {@link ConcurrentHashMap}; {@link #putIfAbsent} is atomic per key. Used by the
 * memory store, and by a tool runtime built without a store. Thread-safe; nothing survives the process.
 */
public final class MemoryIdempotency implements IdempotencyRecords {

  private record Key(SessionKey session, String tool, String key) {}

  private final ConcurrentHashMap<Key, Record> records = new ConcurrentHashMap<>();

  @Override
  public Optional<Record> find(SessionKey session, String tool, String key) {
    return Optional.ofNullable(records.get(new Key(session, tool, key)));
  }

  @Override
  public Record putIfAbsent(SessionKey session, String tool, String key, Record record) {
    Record old = records.putIfAbsent(new Key(session, tool, key), record);
    return old == null ? record : old;
  }

  /** Forgets records that expired before {@code now}; returns how many. */
  public long prune(Instant now) {
    long n = 0;
    for (var e : records.entrySet()) {
      if (e.getValue().expiresAt().isBefore(now) && records.remove(e.getKey(), e.getValue())) n++;
    }
    return n;
  }

  public long size() {
    return records.mappingCount();
  }
}
