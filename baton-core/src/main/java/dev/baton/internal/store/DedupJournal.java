package dev.baton.internal.store;

import dev.baton.DedupKey;
import dev.baton.spi.IngestResult;
import dev.baton.spi.JournalEntry;
import dev.baton.spi.MessageStatus;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/*
 * Overview
 *   The in-memory journal, which is also the dedup window (DESIGN §1 step 3): a map from dedup key to the
 *   journaled message and its status, plus a FIFO of entries in insertion order that bounds the window by
 *   time (window_ms) and by count (max_entries, oldest evicted first).
 *
 * Concurrency
 *   Lock-free. First-seen is ConcurrentHashMap.putIfAbsent (or replace(old, new) for a key whose terminal
 *   entry has left the time window), so of any number of concurrent ingests of one key exactly one wins.
 *   Eviction is amortised onto ingest: each ingest removes expired entries from the FIFO head and, while
 *   the FIFO holds more than max_entries nodes, evicts the oldest. The FIFO may hold stale nodes (released
 *   or replaced keys); they count towards the bound, so the live map never exceeds max_entries for long
 *   (a concurrent ingest may overshoot by the number of racing threads until its own eviction step).
 *
 * Failure
 *   None: memory only. An unfinished entry evicted by count stays in the engine's mailbox and runs; only a
 *   re-delivery after its eviction would be admitted again (the window's stated trade-off).
 */
/** The memory store's journal and dedup window. Thread-safe. */
public final class DedupJournal {

  /**
   * One journaled message. {@code status} is written by the engine's status updates; once it is terminal the
   * message itself is dropped ({@code entry = null}) so a finished dedup record costs only its key.
   */
  static final class Rec {
    final DedupKey key;
    volatile @Nullable JournalEntry entry;
    final long seq;
    final long receivedMs;
    volatile MessageStatus status = MessageStatus.RECEIVED;
    /** Set once the map no longer maps {@code key} to this record (released, replaced, pruned). */
    volatile boolean gone;

    Rec(JournalEntry entry, long seq) {
      this.key = entry.key();
      this.entry = entry;
      this.seq = seq;
      this.receivedMs = entry.receivedAt().toEpochMilli();
    }
  }

  private final long windowMs;
  private final long maxEntries;
  private final ConcurrentHashMap<DedupKey, Rec> map = new ConcurrentHashMap<>();
  private final ConcurrentLinkedQueue<Rec> fifo = new ConcurrentLinkedQueue<>();
  private final AtomicLong fifoSize = new AtomicLong();
  private final AtomicLong seqs = new AtomicLong();

  public DedupJournal(long windowMs, long maxEntries) {
    if (windowMs <= 0 || maxEntries <= 0) throw new IllegalArgumentException("window and max must be positive");
    this.windowMs = windowMs;
    this.maxEntries = maxEntries;
  }

  /** Inserts {@code e} unless its key is journaled and still inside the window. Atomic per key. */
  public IngestResult ingest(JournalEntry e) {
    Rec fresh = new Rec(e, seqs.incrementAndGet());
    IngestResult result;
    while (true) {
      Rec old = map.putIfAbsent(e.key(), fresh);
      if (old == null) {
        result = new IngestResult.Inserted(fresh.seq);
        break;
      }
      MessageStatus st = old.status;
      if (!(st.terminal() && fresh.receivedMs - old.receivedMs >= windowMs)) {
        return new IngestResult.Existing(st);
      }
      if (map.replace(e.key(), old, fresh)) {
        old.gone = true;
        result = new IngestResult.Inserted(fresh.seq);
        break;
      }
    }
    fifo.add(fresh);
    fifoSize.incrementAndGet();
    evict(fresh.receivedMs);
    return result;
  }

  private void evict(long nowMs) {
    while (true) {
      Rec head = fifo.peek();
      if (head == null) return;
      boolean stale = head.gone; // saves a map lookup per ingest
      boolean expired = head.status.terminal() && nowMs - head.receivedMs >= windowMs;
      if (!stale && !expired && fifoSize.get() <= maxEntries) return;
      if (fifo.remove(head)) {
        fifoSize.decrementAndGet();
        map.remove(head.key, head);
      }
    }
  }

  public void release(DedupKey key) {
    Rec r = map.remove(key);
    if (r != null) r.gone = true;
  }

  public void updateStatus(DedupKey key, MessageStatus status) {
    Rec r = map.get(key);
    if (r != null) {
      r.status = status;
      if (status.terminal()) r.entry = null;
    }
  }

  /** The status of a journaled key, or empty if it is not (or no longer) journaled. One atomic read. */
  public Optional<MessageStatus> find(DedupKey key) {
    Rec r = map.get(key);
    return r == null ? Optional.empty() : Optional.of(r.status);
  }

  /** Non-terminal entries in journal order. Weakly consistent. */
  public List<JournalEntry> unfinished() {
    List<Rec> recs = new ArrayList<>();
    for (Rec r : map.values()) if (!r.status.terminal()) recs.add(r);
    recs.sort(Comparator.comparingLong(r -> r.seq));
    List<JournalEntry> out = new ArrayList<>(recs.size());
    for (Rec r : recs) {
      JournalEntry e = r.entry; // null if it finished since the status was read
      if (e != null) out.add(e);
    }
    return out;
  }

  /**
   * A page of {@link #unfinished()} by (session value, seq) after the given position (null session: from the
   * start), at most {@code limit}. Weakly consistent; O(entries) per page (everything is in memory anyway).
   */
  public List<dev.baton.spi.Journaled> unfinishedPage(@Nullable String afterSession, long afterSeq, int limit) {
    Comparator<dev.baton.spi.Journaled> order = Comparator
        .comparing((dev.baton.spi.Journaled j) -> j.entry().session().value())
        .thenComparingLong(dev.baton.spi.Journaled::seq);
    java.util.PriorityQueue<dev.baton.spi.Journaled> best = new java.util.PriorityQueue<>(order.reversed());
    for (Rec r : map.values()) {
      JournalEntry e = r.entry; // null once terminal
      if (e == null || r.status.terminal()) continue;
      if (afterSession != null) {
        int c = e.session().value().compareTo(afterSession);
        if (c < 0 || (c == 0 && r.seq <= afterSeq)) continue;
      }
      best.add(new dev.baton.spi.Journaled(r.seq, e));
      if (best.size() > limit) best.poll(); // keeps the `limit` smallest
    }
    List<dev.baton.spi.Journaled> out = new ArrayList<>(best);
    out.sort(order);
    return out;
  }

  /** Removes terminal entries received before {@code beforeMs}; returns how many. */
  public long prune(long beforeMs) {
    long n = 0;
    for (Rec r : map.values()) {
      if (r.status.terminal() && r.receivedMs < beforeMs && map.remove(r.key, r)) {
        r.gone = true;
        n++;
      }
    }
    return n;
  }

  public long size() {
    return map.mappingCount();
  }

  public long unfinishedCount() {
    long n = 0;
    for (Rec r : map.values()) if (!r.status.terminal()) n++;
    return n;
  }
}
