package dev.baton.internal.engine;

import dev.baton.OrderKey;
import dev.baton.config.OrderingConfig;
import dev.baton.spi.SessionData;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/*
 * Overview
 *   One session's reorder buffer (P9, DESIGN §1 step 4). Messages without an order key pass straight
 *   through. A contiguous client `seq` is released in order; a message beyond a gap is held until the gap
 *   fills or until gap_timeout_ms after the held message arrived, then the gap is skipped and counted. A
 *   monotonic but gappy key (platform ids) is held hold_ms and released in key order (hold_ms = 0: released
 *   at once). A message at or below what was already released is late: the caller applies late_policy.
 *   The watermarks (next seq, last monotonic key) are persisted in session state under reserved keys, so a
 *   session whose actor was dropped while idle keeps its order.
 *
 * Concurrency
 *   Not thread-safe: owned by one SessionActor and guarded by its monitor (release and enqueue must be one
 *   atomic step, or two threads could enqueue released messages out of order).
 */
/** A per-session reorder buffer. Guarded by the owning {@link SessionActor}'s monitor. */
final class ReorderBuffer {

  static final String SEQ_KEY = "baton.order.next_seq";
  static final String MONO_KEY = "baton.order.last_key";

  /** The result of {@link #accept}. */
  enum Accept { RELEASED_OR_HELD, LATE }

  private final long gapNanos;
  private final long holdNanos;
  private long nextSeq;
  private long lastMono = Long.MIN_VALUE;
  private boolean monoSeen;
  private final TreeMap<Long, Pending> heldSeq = new TreeMap<>();
  private final TreeMap<Long, Pending> heldMono = new TreeMap<>();
  /** Sequence numbers skipped so far (for tests and the snapshot). */
  long gapsSkipped;

  ReorderBuffer(OrderingConfig cfg, SessionData committed) {
    this.gapNanos = cfg.gapTimeoutMs() * 1_000_000L;
    this.holdNanos = cfg.holdMs() * 1_000_000L;
    String s = committed.state().get(SEQ_KEY);
    this.nextSeq = s == null ? 0 : Long.parseLong(s);
    String m = committed.state().get(MONO_KEY);
    if (m != null) {
      lastMono = Long.parseLong(m);
      monoSeen = true;
    }
  }

  /** Takes one arrival; appends what may run now to {@code out}, in order. LATE appends nothing. */
  Accept accept(Pending p, List<Pending> out) {
    switch (p.order()) {
      case OrderKey.None n -> out.add(p);
      case OrderKey.Sequence s -> {
        long seq = s.seq();
        if (seq < nextSeq || heldSeq.containsKey(seq)) return Accept.LATE;
        if (seq == nextSeq) {
          out.add(p);
          nextSeq++;
          drainContiguous(out);
        } else if (gapNanos == 0) {
          heldSeq.put(seq, p);
          skipTo(seq, out);
        } else {
          heldSeq.put(seq, p);
        }
      }
      case OrderKey.Monotonic m -> {
        long key = m.key();
        if ((monoSeen && key <= lastMono) || heldMono.containsKey(key)) return Accept.LATE;
        if (holdNanos == 0) {
          out.add(p);
          lastMono = key;
          monoSeen = true;
        } else {
          heldMono.put(key, p);
        }
      }
    }
    return Accept.RELEASED_OR_HELD;
  }

  /** A recovered message (released before a restart): advance the watermarks past it. */
  void noteRecovered(Pending p) {
    switch (p.order()) {
      case OrderKey.Sequence s -> nextSeq = Math.max(nextSeq, s.seq() + 1);
      case OrderKey.Monotonic m -> {
        lastMono = monoSeen ? Math.max(lastMono, m.key()) : m.key();
        monoSeen = true;
      }
      case OrderKey.None n -> { }
    }
  }

  /** A late arrival processed anyway (late_policy: process). */
  void passLate(Pending p, List<Pending> out) {
    out.add(p);
  }

  /**
   * Releases what is due at {@code now}: held seqs whose gap wait ran out (skipping the gap), held monotonic
   * keys whose hold ran out (with every smaller held key).
   *
   * @return the number of gaps skipped
   */
  int onTimer(long now, List<Pending> out) {
    int gaps = 0;
    long target = Long.MIN_VALUE;
    for (Map.Entry<Long, Pending> e : heldSeq.entrySet()) {
      if (now - e.getValue().arrivalNanos >= gapNanos) target = e.getKey();
    }
    if (target != Long.MIN_VALUE) gaps += skipTo(target, out);
    target = Long.MIN_VALUE;
    for (Map.Entry<Long, Pending> e : heldMono.entrySet()) {
      if (now - e.getValue().arrivalNanos >= holdNanos) target = e.getKey();
    }
    while (!heldMono.isEmpty() && heldMono.firstKey() <= target) {
      Map.Entry<Long, Pending> e = heldMono.pollFirstEntry();
      out.add(e.getValue());
      lastMono = e.getKey();
      monoSeen = true;
    }
    return gaps;
  }

  /** Releases every held seq up to {@code target}, skipping missing ones; returns the gaps skipped. */
  private int skipTo(long target, List<Pending> out) {
    int gaps = 0;
    while (!heldSeq.isEmpty() && heldSeq.firstKey() <= target) {
      Map.Entry<Long, Pending> e = heldSeq.pollFirstEntry();
      if (e.getKey() > nextSeq) {
        gaps++;
        gapsSkipped += e.getKey() - nextSeq;
      }
      out.add(e.getValue());
      nextSeq = e.getKey() + 1;
    }
    drainContiguous(out);
    return gaps;
  }

  private void drainContiguous(List<Pending> out) {
    while (!heldSeq.isEmpty() && heldSeq.firstKey() == nextSeq) {
      out.add(heldSeq.pollFirstEntry().getValue());
      nextSeq++;
    }
  }

  /** Scheduler nanos at which {@link #onTimer} has something to release, or {@code Long.MAX_VALUE}. */
  long nextDeadline() {
    long d = Long.MAX_VALUE;
    for (Pending p : heldSeq.values()) d = Math.min(d, p.arrivalNanos + gapNanos);
    for (Pending p : heldMono.values()) d = Math.min(d, p.arrivalNanos + holdNanos);
    return d;
  }

  int held() {
    return heldSeq.size() + heldMono.size();
  }

  /** The watermarks to persist with the session's next commit. */
  Map<String, Optional<String>> watermarks() {
    if (!monoSeen) return Map.of(SEQ_KEY, Optional.of(Long.toString(nextSeq)));
    return Map.of(SEQ_KEY, Optional.of(Long.toString(nextSeq)), MONO_KEY, Optional.of(Long.toString(lastMono)));
  }
}
