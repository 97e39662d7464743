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
 *   journaled message and its status, plus a FIFO of entries in insertion order through which records leave
 *   the window by time (window_ms). Counts bound the window: at most max_entries live records per channel and
 *   max_entries_per_sender per (channel, sender). A record is never forgotten inside its window to make room
 *   (P2): at a bound, ingest answers Full and the engine refuses the message (busy, 429) instead.
 *
 * Concurrency
 *   Lock-free. First-seen is ConcurrentHashMap.putIfAbsent (or replace(old, new) for a key whose terminal
 *   entry has left the time window), so of any number of concurrent ingests of one key exactly one wins.
 *   A slot is reserved on both counters (the channel's incrementAndGet, undone when over the bound or when
 *   the key turns out to exist; the sender's inside a compute that drops the counter at zero, so senders
 *   without records cost nothing) before the insert, so concurrent ingests never overshoot a bound. A dedup key contains its
 *   channel and sender, so a replaced record frees the slot its successor takes. Expiry is amortised onto
 *   ingest: each ingest removes expired and stale nodes from the FIFO head. Stale nodes (released or
 *   replaced keys) behind a live head are compacted away once they outnumber the live records, so the FIFO
 *   stays within a constant factor of the live map. Near a bound, an ingest that turns out a duplicate holds
 *   a slot for a moment, so a racing ingest of another key may be refused one record early: the safe side. At a bound, one full scan for expired records (at most
 *   once per second of message time) runs before Full is answered, so a flood at the bound costs no scans.
 *
 * Failure
 *   None: memory only.
 */
/** The memory store's journal and dedup window. Thread-safe. */
public final class DedupJournal {

  /**
   * One journaled message. {@code status} is written by the engine's status updates; once it is terminal the
   * message itself is dropped ({@code entry = null}) so a finished dedup record costs only its key.
   */
  final class Rec {
    final DedupKey key;
    final AtomicLong channelCount;
    final Owner owner;
    volatile @Nullable JournalEntry entry;
    final long seq;
    final long receivedMs;
    volatile MessageStatus status = MessageStatus.RECEIVED;
    /** Set once the map no longer maps {@code key} to this record (released, replaced, pruned). */
    volatile boolean gone;

    Rec(JournalEntry entry, long seq, AtomicLong channelCount, Owner owner) {
      this.key = entry.key();
      this.entry = entry;
      this.seq = seq;
      this.receivedMs = entry.receivedAt().toEpochMilli();
      this.channelCount = channelCount;
      this.owner = owner;
    }

    /** Marks the record gone and frees its slots; only the thread that removed it from the map calls this. */
    void leave() {
      gone = true;
      channelCount.decrementAndGet();
      releaseSender(owner);
    }
  }

  private record Owner(String channel, String sender) {}

  private static final long RESCAN_MS = 1_000;

  private final long windowMs;
  private final long maxEntries;
  private final long maxPerSender;
  private final ConcurrentHashMap<DedupKey, Rec> map = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, AtomicLong> perChannel = new ConcurrentHashMap<>();
  /** Live records per (channel, sender); a sender with none has no entry (removed atomically at zero). */
  private final ConcurrentHashMap<Owner, Long> perSender = new ConcurrentHashMap<>();
  private final ConcurrentLinkedQueue<Rec> fifo = new ConcurrentLinkedQueue<>();
  private final AtomicLong fifoSize = new AtomicLong();
  private final AtomicLong seqs = new AtomicLong();
  private final AtomicLong refused = new AtomicLong();
  private final AtomicLong lastScanMs = new AtomicLong(Long.MIN_VALUE);

  public DedupJournal(long windowMs, long maxEntries) {
    this(windowMs, maxEntries, maxEntries);
  }

  public DedupJournal(long windowMs, long maxEntries, long maxPerSender) {
    if (windowMs <= 0 || maxEntries <= 0 || maxPerSender <= 0) {
      throw new IllegalArgumentException("window and bounds must be positive");
    }
    this.windowMs = windowMs;
    this.maxEntries = maxEntries;
    this.maxPerSender = maxPerSender;
  }

  /**
   * Inserts {@code e} unless its key is journaled and still inside the window, or a count bound is reached
   * ({@link IngestResult.Full}, nothing stored). Atomic per key.
   */
  public IngestResult ingest(JournalEntry e) {
    long nowMs = e.receivedAt().toEpochMilli();
    expireHead(nowMs);
    Rec existing = map.get(e.key());
    if (existing != null && !replaceable(existing, nowMs)) return new IngestResult.Existing(existing.status);
    String channel = e.message().channel();
    AtomicLong ch = perChannel.computeIfAbsent(channel, k -> new AtomicLong());
    Owner snd = new Owner(channel, e.message().sender());
    if (!reserve(ch, snd, nowMs)) {
      Rec now = map.get(e.key()); // inserted meanwhile by a racing delivery: a duplicate, not a refusal
      if (now != null && !replaceable(now, nowMs)) return new IngestResult.Existing(now.status);
      refused.incrementAndGet();
      return new IngestResult.Full(ch.get() >= maxEntries
          ? "the dedup window of channel '" + channel + "' holds its maximum of " + maxEntries + " records"
          : "the sender has " + maxPerSender + " messages inside the dedup window, the most allowed");
    }
    Rec fresh = new Rec(e, seqs.incrementAndGet(), ch, snd);
    while (true) {
      Rec old = map.putIfAbsent(e.key(), fresh);
      if (old == null) break;
      if (!replaceable(old, nowMs)) {
        ch.decrementAndGet();
        releaseSender(snd);
        return new IngestResult.Existing(old.status);
      }
      if (map.replace(e.key(), old, fresh)) {
        old.leave();
        break;
      }
    }
    fifo.add(fresh);
    fifoSize.incrementAndGet();
    return new IngestResult.Inserted(fresh.seq);
  }

  private boolean replaceable(Rec old, long nowMs) {
    return old.status.terminal() && nowMs - old.receivedMs >= windowMs;
  }

  /** Takes a slot on both counters, or none; at a bound, one rescan for expired records is tried first. */
  private boolean reserve(AtomicLong ch, Owner snd, long nowMs) {
    for (int attempt = 0; ; attempt++) {
      if (ch.incrementAndGet() <= maxEntries) {
        boolean[] took = {false};
        // compute holds only the bin lock and does no more than arithmetic (STYLE 9)
        perSender.compute(snd, (k, n) -> {
          long have = n == null ? 0 : n;
          if (have >= maxPerSender) return n;
          took[0] = true;
          return have + 1;
        });
        if (took[0]) return true;
      }
      ch.decrementAndGet();
      long last = lastScanMs.get();
      if (attempt > 0 || nowMs - last < RESCAN_MS || !lastScanMs.compareAndSet(last, nowMs)) return false;
      prune(nowMs - windowMs + 1);
    }
  }

  private void releaseSender(Owner owner) {
    perSender.computeIfPresent(owner, (k, n) -> n <= 1 ? null : n - 1);
  }

  private void expireHead(long nowMs) {
    while (true) {
      Rec head = fifo.peek();
      if (head == null) break;
      boolean stale = head.gone; // saves a map lookup per ingest
      if (!stale && !replaceable(head, nowMs)) break;
      if (fifo.remove(head)) {
        fifoSize.decrementAndGet();
        if (!stale && map.remove(head.key, head)) head.leave();
      }
    }
    // Released keys behind a long-lived head: compact when the FIFO is mostly stale nodes (amortised O(1)).
    long size = fifoSize.get();
    if (size > 1024 && size > 2 * map.mappingCount()) {
      fifo.removeIf(r -> {
        if (!r.gone) return false;
        fifoSize.decrementAndGet();
        return true;
      });
    }
  }

  public void release(DedupKey key) {
    Rec r = map.remove(key);
    if (r != null) r.leave();
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
        r.leave();
        n++;
      }
    }
    return n;
  }

  /** How many ingests were refused at a count bound. */
  public long refusedCount() {
    return refused.get();
  }

  /** Nodes in the FIFO, live and stale (for tests of its compaction). */
  long fifoNodes() {
    return fifoSize.get();
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
