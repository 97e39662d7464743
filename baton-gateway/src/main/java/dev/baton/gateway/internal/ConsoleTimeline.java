package dev.baton.gateway.internal;

import dev.baton.SessionKey;
import dev.baton.spi.Scheduler;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;

/*
 * Overview: the console's small in-memory record of what happened in each session, for the timeline view:
 * messages the gateway admitted (Ingress), turns and tool calls with their lock waits as the console's ticker
 * sees them in the engine's and the tool runtime's snapshots (ConsoleFeed), the replies the engine hands to the
 * router and the deliveries the outbound lanes finish (ReplyLanes). Node-local and lost at restart; it is a
 * picture for operators, not a journal.
 * Bounds (P11): at most MAX_SESSIONS sessions (the least recently touched is forgotten), each with its last
 * MAX_EVENTS events. Text is kept only with admin.show_text (otherwise only its length).
 * Concurrency: one ReentrantLock over the map; record() only appends under it (no I/O), so the engine's and the
 * request threads that call it never wait for long.
 */
final class ConsoleTimeline {

  static final int MAX_SESSIONS = 512;
  static final int MAX_EVENTS = 100;
  static final int MAX_TEXT = 500;

  /** One event of a session: its kind (message, turn, tool, lock_wait, reply, delivery), a detail and its text. */
  record Event(Instant at, String kind, String detail, String text) {}

  private final Scheduler scheduler;
  private final boolean keepText;
  private final ReentrantLock lock = new ReentrantLock();
  private final LinkedHashMap<String, ArrayDeque<Event>> sessions = new LinkedHashMap<>(64, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, ArrayDeque<Event>> e) {
      return size() > MAX_SESSIONS;
    }
  };

  ConsoleTimeline(Scheduler scheduler, boolean keepText) {
    this.scheduler = scheduler;
    this.keepText = keepText;
  }

  /** Records an event; {@code text} is kept only with show_text (otherwise its length is). */
  void record(SessionKey session, String kind, String detail, String text) {
    record(session.value(), kind, detail, text);
  }

  void record(String session, String kind, String detail, String text) {
    String kept = keepText ? (text.length() > MAX_TEXT ? text.substring(0, MAX_TEXT) + "…" : text)
        : text.isEmpty() ? "" : "(" + text.length() + " chars hidden)";
    Event e = new Event(scheduler.now(), kind, detail, kept);
    lock.lock();
    try {
      ArrayDeque<Event> q = sessions.computeIfAbsent(session, k -> new ArrayDeque<>());
      if (q.size() >= MAX_EVENTS) q.removeFirst();
      q.addLast(e);
    } finally {
      lock.unlock();
    }
  }

  /** The events of one session, oldest first (empty if none are kept). */
  List<Event> of(String session) {
    lock.lock();
    try {
      ArrayDeque<Event> q = sessions.get(session);
      return q == null ? List.of() : new ArrayList<>(q);
    } finally {
      lock.unlock();
    }
  }
}
