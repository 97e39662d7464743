package dev.baton.internal.engine;

import dev.baton.OrderKey;
import dev.baton.config.OrderingConfig;
import dev.baton.spi.SessionData;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/*
 * Overview
 *   One session's reorder buffer (P9, DESIGN §1 step 4). Messages without an order key pass straight
 *   through. A contiguous client `seq` is released in order; a message beyond a gap is held until the gap
 *   fills or until gap_timeout_ms after the held message arrived, then the gap is skipped and counted. A
 *   `seq` is the sender's own: each sender of a session has its own stream (SeqStream), so in a chat shared by
 *   several users one member who jumps his seq to 1e9 makes only his own later messages late, never the
 *   other members'. (Monotonic keys come from the platform, never from a client, and stay session-wide.) A
 *   monotonic but gappy key (platform ids) is held hold_ms and released in key order (hold_ms = 0: released
 *   at once). A message at or below what was already released is late: the caller applies late_policy.
 *   The watermarks (each sender's next seq under SEQ_KEY.<sender>, the last monotonic key) are persisted in
 *   session state under reserved keys, so a session whose actor was dropped while idle keeps its order.
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

  /** One sender's contiguous sequence: what runs next and what waits behind a gap. */
  private static final class SeqStream {
    long nextSeq;
    final TreeMap<Long, QueuedMessage> held = new TreeMap<>();

    SeqStream(long nextSeq) {
      this.nextSeq = nextSeq;
    }
  }

  private final long gapNanos;
  private final long holdNanos;
  private final HashMap<String, SeqStream> streams = new HashMap<>();
  private long lastMono = Long.MIN_VALUE;
  private boolean monoSeen;
  private final TreeMap<Long, QueuedMessage> heldMono = new TreeMap<>();
  /** Sequence numbers skipped so far (for tests and the snapshot). */
  long gapsSkipped;

  ReorderBuffer(OrderingConfig cfg, SessionData committed, dev.baton.SessionKey session) {
    this.gapNanos = cfg.gapTimeoutMs() * 1_000_000L;
    this.holdNanos = cfg.holdMs() * 1_000_000L;
    for (Map.Entry<String, String> e : committed.state().entrySet()) {
      if (e.getKey().startsWith(SEQ_KEY + ".")) {
        streams.put(e.getKey().substring(SEQ_KEY.length() + 1), new SeqStream(Long.parseLong(e.getValue())));
      }
    }
    // Written before seq streams were per sender: the session-wide watermark of a one-user session is its user's.
    String legacy = committed.state().get(SEQ_KEY);
    if (legacy != null) {
      session.user().ifPresent(u -> streams.putIfAbsent(u, new SeqStream(Long.parseLong(legacy))));
    }
    String m = committed.state().get(MONO_KEY);
    if (m != null) {
      lastMono = Long.parseLong(m);
      monoSeen = true;
    }
  }

  /** Takes one arrival; appends what may run now to {@code out}, in order. LATE appends nothing. */
  Accept accept(QueuedMessage p, List<QueuedMessage> out) {
    switch (p.order()) {
      case OrderKey.None n -> out.add(p);
      case OrderKey.Sequence s -> {
        long seq = s.seq();
        SeqStream st = stream(p);
        if (seq < st.nextSeq || st.held.containsKey(seq)) return Accept.LATE;
        if (seq == st.nextSeq) {
          out.add(p);
          st.nextSeq++;
          drainContiguous(st, out);
        } else if (gapNanos == 0) {
          st.held.put(seq, p);
          skipTo(st, seq, out);
        } else {
          st.held.put(seq, p);
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
  void noteRecovered(QueuedMessage p) {
    switch (p.order()) {
      case OrderKey.Sequence s -> {
        SeqStream st = stream(p);
        st.nextSeq = Math.max(st.nextSeq, s.seq() + 1);
      }
      case OrderKey.Monotonic m -> {
        lastMono = monoSeen ? Math.max(lastMono, m.key()) : m.key();
        monoSeen = true;
      }
      case OrderKey.None n -> { }
    }
  }

  /** A late arrival processed anyway (late_policy: process). */
  void passLate(QueuedMessage p, List<QueuedMessage> out) {
    out.add(p);
  }

  /**
   * Releases what is due at {@code now}: held seqs whose gap wait ran out (skipping the gap), held monotonic
   * keys whose hold ran out (with every smaller held key).
   *
   * @return the number of gaps skipped
   */
  int onTimer(long now, List<QueuedMessage> out) {
    int gaps = 0;
    for (SeqStream st : streams.values()) {
      long due = Long.MIN_VALUE;
      for (Map.Entry<Long, QueuedMessage> e : st.held.entrySet()) {
        if (now - e.getValue().arrivalNanos >= gapNanos) due = e.getKey();
      }
      if (due != Long.MIN_VALUE) gaps += skipTo(st, due, out);
    }
    long target = Long.MIN_VALUE;
    for (Map.Entry<Long, QueuedMessage> e : heldMono.entrySet()) {
      if (now - e.getValue().arrivalNanos >= holdNanos) target = e.getKey();
    }
    while (!heldMono.isEmpty() && heldMono.firstKey() <= target) {
      Map.Entry<Long, QueuedMessage> e = heldMono.pollFirstEntry();
      out.add(e.getValue());
      lastMono = e.getKey();
      monoSeen = true;
    }
    return gaps;
  }

  /** Releases every held seq up to {@code target}, skipping missing ones; returns the gaps skipped. */
  private int skipTo(SeqStream st, long target, List<QueuedMessage> out) {
    int gaps = 0;
    while (!st.held.isEmpty() && st.held.firstKey() <= target) {
      Map.Entry<Long, QueuedMessage> e = st.held.pollFirstEntry();
      if (e.getKey() > st.nextSeq) {
        gaps++;
        gapsSkipped += e.getKey() - st.nextSeq;
      }
      out.add(e.getValue());
      st.nextSeq = e.getKey() + 1;
    }
    drainContiguous(st, out);
    return gaps;
  }

  private static void drainContiguous(SeqStream st, List<QueuedMessage> out) {
    while (!st.held.isEmpty() && st.held.firstKey() == st.nextSeq) {
      out.add(st.held.pollFirstEntry().getValue());
      st.nextSeq++;
    }
  }

  private SeqStream stream(QueuedMessage p) {
    return streams.computeIfAbsent(p.entry.message().sender(), k -> new SeqStream(0));
  }

  /** Scheduler nanos at which {@link #onTimer} has something to release, or {@code Long.MAX_VALUE}. */
  long nextDeadline() {
    long d = Long.MAX_VALUE;
    for (SeqStream st : streams.values()) {
      for (QueuedMessage p : st.held.values()) d = Math.min(d, p.arrivalNanos + gapNanos);
    }
    for (QueuedMessage p : heldMono.values()) d = Math.min(d, p.arrivalNanos + holdNanos);
    return d;
  }

  int held() {
    int n = heldMono.size();
    for (SeqStream st : streams.values()) n += st.held.size();
    return n;
  }

  /**
   * The watermarks to persist with the session's next commit: every sender stream's next seq (a commit that
   * fails is retried with the same writes, so all are written, not only the changed ones) and the monotonic key.
   */
  Map<String, Optional<String>> watermarks() {
    Map<String, Optional<String>> out = new HashMap<>();
    streams.forEach((sender, st) -> {
      if (st.nextSeq > 0) out.put(SEQ_KEY + "." + sender, Optional.of(Long.toString(st.nextSeq)));
    });
    if (monoSeen) out.put(MONO_KEY, Optional.of(Long.toString(lastMono)));
    return out;
  }
}
