package dev.baton.internal.engine;

import dev.baton.InboundMessage;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/*
 * Overview
 *   The engine's bounds on memory in total and per sender (P11), beside the per-session queue cap the actor
 *   keeps: `agent.concurrency.max_queued_total` (messages held or queued in this process, all sessions) and
 *   `sessions.max_live_per_user` (sessions with work that one sender of one channel opened). A session is
 *   charged to the sender whose message created its actor and uncharged when the actor retires, so joining a
 *   session someone else opened costs nothing, and a sender who sprays new chats runs out of sessions.
 *
 * Concurrency
 *   Lock-free: the total is one AtomicLong reserved by CAS (never above the bound for FRESH messages, whatever
 *   the races); the per-sender counts are AtomicIntegers in a ConcurrentHashMap whose compute functions only
 *   do arithmetic (STYLE 9: nothing blocks inside them). A sender's entry is removed when its count is 0.
 *   Recovered and adopted work is counted without a check (it was admitted before), so a count may exceed
 *   its bound after a restart until that work drains.
 *
 * Failure
 *   None: in-memory counters. A refusal is Admission.Busy with nothing stored (Engine), counted in
 *   `baton.bounds.refused{bound=queued_total|sessions_per_user}`.
 */
/** Totals and per-sender counts behind the engine's P11 bounds. Thread-safe, lock-free. */
final class Bounds {

  static final String QUEUED_TOTAL_TEXT =
      "The service has too many messages waiting right now; please try again in a moment.";
  static final String SESSIONS_TEXT =
      "You have too many conversations in progress; wait for their replies and try again.";

  /** The sender a session is charged to: one channel's authenticated sender (structured: no separator). */
  record Owner(String channel, String sender) {
    static Owner of(InboundMessage m) {
      return new Owner(m.channel(), m.sender());
    }
  }

  private final long maxQueuedTotal;
  private final int maxLivePerUser;
  /** Messages held in reorder buffers or waiting in mailboxes, all sessions (also the queue-depth gauge). */
  final AtomicLong queued = new AtomicLong();
  private final ConcurrentHashMap<Owner, AtomicInteger> live = new ConcurrentHashMap<>();
  final Counter refusedQueuedTotal;
  final Counter refusedSessions;

  Bounds(long maxQueuedTotal, int maxLivePerUser, MeterRegistry r) {
    this.maxQueuedTotal = maxQueuedTotal;
    this.maxLivePerUser = maxLivePerUser;
    this.refusedQueuedTotal = r.counter("baton.bounds.refused", "bound", "queued_total");
    this.refusedSessions = r.counter("baton.bounds.refused", "bound", "sessions_per_user");
  }

  /** A cheap early look (before the journal insert): whether the total is already full. */
  boolean queuedFull() {
    return queued.get() >= maxQueuedTotal;
  }

  /** Takes one place in the total for a fresh message; false (nothing taken) at the bound. */
  boolean tryReserveQueued() {
    while (true) {
      long c = queued.get();
      if (c >= maxQueuedTotal) return false;
      if (queued.compareAndSet(c, c + 1)) return true;
    }
  }

  /** Adds (or with a negative {@code n} gives back) places without a check. */
  void addQueued(long n) {
    queued.addAndGet(n);
  }

  /** A cheap early look: whether {@code owner} may open no further session now. */
  boolean sessionsFull(Owner owner) {
    AtomicInteger n = live.get(owner);
    return n != null && n.get() >= maxLivePerUser;
  }

  /**
   * Charges one more live session to {@code owner}. With {@code check}, refuses (and charges nothing) when the
   * owner is at {@code sessions.max_live_per_user}.
   */
  boolean charge(Owner owner, boolean check) {
    boolean[] ok = {false};
    live.compute(owner, (k, n) -> {
      AtomicInteger c = n == null ? new AtomicInteger() : n;
      if (!check || c.get() < maxLivePerUser) {
        c.incrementAndGet();
        ok[0] = true;
      }
      return c.get() == 0 ? null : c;
    });
    return ok[0];
  }

  /** Gives back one live session of {@code owner} (its actor retired, or lost the race to be installed). */
  void uncharge(Owner owner) {
    live.computeIfPresent(owner, (k, n) -> n.decrementAndGet() <= 0 ? null : n);
  }

  /** Sessions with work charged to {@code owner} now (for tests and the admin view). */
  int liveSessions(Owner owner) {
    AtomicInteger n = live.get(owner);
    return n == null ? 0 : n.get();
  }

  /** Senders with at least one live session. */
  int owners() {
    return live.size();
  }
}
