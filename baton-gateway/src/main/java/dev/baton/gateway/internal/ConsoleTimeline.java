package dev.baton.gateway.internal;

import dev.baton.Reply;
import dev.baton.SessionKey;
import dev.baton.TurnContext;
import dev.baton.spi.Scheduler;
import dev.baton.spi.TimelineObserver;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/*
 * Overview: the console's small in-memory record of what happened in each session, for the timeline view, each
 * event recorded when it happens: messages the gateway admitted (Ingress); turns starting and ending, tool calls
 * starting and ending and their lock waits, told by the engine and the tool runtime through this class's
 * TimelineObserver face (installed only with admin.token: ReplyRouter.consoleObserver()); the replies the engine
 * hands to the router (ReplyLanes) and each delivery attempt of the outbound lanes (OutboundDelivery); deadlocks
 * as the console's ticker finds them in the graph's recent list (ConsoleFeed). It also keeps when each session's
 * running turn started (its exact age for the sessions view). Node-local and lost at restart; it is a picture for
 * operators, not a journal.
 * Bounds (P11): at most MAX_SESSIONS sessions (the least recently touched is forgotten), each with its last
 * MAX_EVENTS events. Text is kept only with admin.show_text (otherwise only its length).
 * Concurrency: one ReentrantLock over the map; record() only appends under it (no I/O), so the engine's and the
 * request threads that call it never wait for long.
 */
final class ConsoleTimeline implements TimelineObserver {

  static final int MAX_SESSIONS = 512;
  static final int MAX_EVENTS = 100;
  static final int MAX_TEXT = 500;

  /**
   * One event of a session: its kind (message, turn_started, turn_ended, tool_started, lock_wait, lock_granted
   * (or lock_failed), tool_ended, reply, delivery, deadlock), a detail and its text.
   */
  record Event(Instant at, String kind, String detail, String text) {}

  private final Scheduler scheduler;
  private final boolean keepText;
  /** When each session's running turn started (by the engine's clock), from turnStarted to turnEnded. */
  private final ConcurrentHashMap<String, Instant> running = new ConcurrentHashMap<>();
  private final ReentrantLock lock = new ReentrantLock();
  private final LinkedHashMap<String, ArrayList<Event>> sessions = new LinkedHashMap<>(64, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, ArrayList<Event>> e) {
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
    record(session, kind, detail, text, scheduler.now());
  }

  /** The timeline's clock (the gateway's Scheduler). */
  Instant now() {
    return scheduler.now();
  }

  /**
   * Records an event that happened {@code at}, in time order: an accepted message is recorded once the engine
   * took it (Ingress, after submit returned), when its turn may already have started, so it goes before the
   * events recorded since {@code at} (events at the same instant keep the order they were recorded in).
   */
  void record(String session, String kind, String detail, String text, Instant at) {
    String kept = keepText ? (text.length() > MAX_TEXT ? text.substring(0, MAX_TEXT) + "…" : text)
        : text.isEmpty() ? "" : "(" + text.length() + " chars hidden)";
    Event e = new Event(at, kind, detail, kept);
    lock.lock();
    try {
      ArrayList<Event> q = sessions.computeIfAbsent(session, k -> new ArrayList<>());
      if (q.size() >= MAX_EVENTS) q.removeFirst();
      int i = q.size();
      while (i > 0 && q.get(i - 1).at().isAfter(at)) i--;
      q.add(i, e);
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void turnStarted(TurnContext turn, Instant startedAt) {
    running.put(turn.session().value(), startedAt);
    record(turn.session(), "turn_started", "turn " + turn.turnSeq() + " of " + String.join(", ", turn.messageIds())
        + ", deadline " + turn.deadline(), "");
  }

  @Override
  public void turnEnded(TurnContext turn, String outcome) {
    Instant since = running.remove(turn.session().value());
    record(turn.session(), "turn_ended", "turn " + turn.turnSeq() + " " + outcome
        + (since == null ? "" : " after " + Duration.between(since, scheduler.now()).toMillis() + " ms"), "");
  }

  @Override
  public void callStarted(TurnContext turn, String call, String tool) {
    record(turn.session(), "tool_started", call + " " + tool, "");
  }

  @Override
  public void lockWaitStarted(TurnContext turn, String call, String resource, List<String> heldBy) {
    record(turn.session(), "lock_wait", call + " waits for " + resource
        + (heldBy.isEmpty() ? "" : " held by " + String.join(", ", heldBy)), "");
  }

  @Override
  public void lockWaitEnded(TurnContext turn, String call, String resource, Duration waited, String outcome) {
    record(turn.session(), outcome.equals("granted") ? "lock_granted" : "lock_failed",
        call + " " + resource + " " + outcome + " after " + waited.toMillis() + " ms", "");
  }

  @Override
  public void callEnded(TurnContext turn, String call, String tool, String outcome) {
    record(turn.session(), "tool_ended", call + " " + tool + " " + outcome, "");
  }

  /** One delivery attempt of a reply: {@code outcome} delivered, retry, failed or given_up. */
  void delivery(Reply r, int attempt, String outcome, String why) {
    record(r.session(), "delivery", "reply " + r.outboxSeq() + " to " + r.channel() + ", attempt " + attempt + ": "
        + outcome + (why.isEmpty() ? "" : " (" + why + ")"), "");
  }

  /** When {@code session}'s running turn started, if it runs now and the engine tells this timeline. */
  @Nullable Instant runningSince(String session) {
    return running.get(session);
  }

  /** The events of one session, oldest first (empty if none are kept). */
  List<Event> of(String session) {
    lock.lock();
    try {
      ArrayList<Event> q = sessions.get(session);
      return q == null ? List.of() : new ArrayList<>(q);
    } finally {
      lock.unlock();
    }
  }
}
