package dev.baton.cli.demo;

import dev.baton.Admission;
import dev.baton.IdSource;
import dev.baton.Reply;
import dev.baton.SessionKey;
import dev.baton.Turn;
import dev.baton.TurnContext;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;

/*
 * Overview: the demo's referee. It watches the engine from the outside only — what submit() answers, what
 * the agent sees inside each turn, which replies arrive — and checks the promises against its own
 * bookkeeping, never against the engine's counters. Each check counts in a Tally; a failed check is a
 * violation with a short description.
 *
 * Concurrency: thread-safe. Deliveries come from many user threads, turn observations from the engine's
 * turn threads, replies from the engine's delivery threads. Counters are atomic; per-session ordering state
 * is updated with ConcurrentHashMap.compute (arithmetic only, nothing blocks inside).
 *
 * Failure: a violation is counted, never thrown, so one broken promise does not hide the others.
 *
 * With max_concurrent_per_session > 1 a session's turns may overlap, so the order in which they start is no
 * promise, and a turn whose compare-and-set lost is run again: then P2 is judged on admissions and replies
 * (one message, one reply), P9 on the order of replies, and re-runs are counted, not flagged.
 */
final class PromiseChecker {

  enum Outcome { WAITING, ACCEPTED, PROCESSED, EXPIRED, FAILED }

  /** The checker's record of one message. */
  static final class Tracked {
    final String id;
    final String user;
    final long seq;
    final AtomicReference<Outcome> outcome = new AtomicReference<>(Outcome.WAITING);
    /**
     * How it ended, when its reply came before the answer to its accepting delivery was seen (over HTTP a
     * reply can reach the user's poll before the 202 reaches the sender).
     */
    final AtomicReference<@Nullable Outcome> endedEarly = new AtomicReference<>();
    final AtomicInteger accepts = new AtomicInteger();
    /** Deliveries of this id, and how many of them were answered duplicate (checked by finish()). */
    final AtomicInteger deliveries = new AtomicInteger();
    final AtomicInteger duplicates = new AtomicInteger();
    final AtomicInteger processed = new AtomicInteger();
    final AtomicInteger replies = new AtomicInteger();
    final AtomicInteger busy = new AtomicInteger();
    final AtomicInteger rejected = new AtomicInteger();
    /** When the delivery that was accepted returned from submit, and when it was called. */
    final AtomicLong acceptedAtNanos = new AtomicLong(-1);
    final AtomicLong acceptCalledNanos = new AtomicLong(-1);
    /** Completes when the sender may move on: refused (busy/rejected), or answered after acceptance. */
    final CompletableFuture<Void> settled = new CompletableFuture<>();

    Tracked(String id, String user, long seq) {
      this.id = id;
      this.user = user;
      this.seq = seq;
    }
  }

  final Tally p1 = new Tally("P1", "isolation: turns, session state, transcript and replies hold one user's data");
  final Tally p2 = new Tally("P2", "once: no message admitted, processed or answered twice");
  final Tally p3 = new Tally("P3", "serial: turns per session and in total stay within their limits");
  final Tally p4 = new Tally("P4", "bounded waits: every accepted message ends processed or expired");
  final Tally p7 = new Tally("P7", "context: the context inside a turn is that turn's session, user and messages");
  final Tally p9 = new Tally("P9", "order: a session's messages run, and its replies arrive, in order");
  /** Only with the HTTP transport: every request got an expected status and a well-formed answer. */
  final Tally http = new Tally("HTTP", "the HTTP path: valid requests get 202/200/429/409 and replies well formed");

  private final int maxPerSession;
  private final boolean rerunsAllowed;
  private final int maxTotal;
  private final IdSource idSource;
  private final String channel;
  private final boolean overHttp;
  private final Map<String, Tracked> messages = new ConcurrentHashMap<>();
  private final AtomicInteger running = new AtomicInteger();
  private final AtomicInteger peakRunning = new AtomicInteger();
  private final AtomicInteger peakSessionRunning = new AtomicInteger();
  private final Map<SessionKey, AtomicInteger> runningBySession = new ConcurrentHashMap<>();
  private final Map<SessionKey, List<Tracked>> ranBySession = new ConcurrentHashMap<>();
  private final AtomicLong processedLate = new AtomicLong();
  private final AtomicLong reruns = new AtomicLong();
  private final Map<SessionKey, Long> lastOutboxSeq = new ConcurrentHashMap<>();
  /** The echo agent's turn number of a session's last reply, and the message that reply answered. */
  private record TurnMark(long number, String inReplyTo) {}

  private final Map<SessionKey, TurnMark> lastTurnNumber = new ConcurrentHashMap<>();
  /** Last message id of a turn to all its message ids: a reply answers the turn's last message. */
  private final Map<String, List<String>> turnMembers = new ConcurrentHashMap<>();
  private final List<Long> queueWaitsNanos = java.util.Collections.synchronizedList(new ArrayList<>());
  private final AtomicLong deliveries = new AtomicLong();
  private final AtomicLong unsettledAccepted = new AtomicLong();
  private final Object settledMonitor = new Object();

  PromiseChecker(int maxPerSession, int maxTotal) {
    this(maxPerSession, maxTotal, IdSource.USER_ID, maxPerSession > 1);
  }

  /**
   * @param idSource how the engine derives sessions ({@code sessions.id_source})
   * @param rerunsAllowed whether a message may legitimately be seen by more than one turn: overlapping turns
   *     of a session ({@code max_concurrent_per_session > 1}, a lost compare-and-set re-runs the turn) or
   *     queue mode {@code interrupt} (a cancelled turn's messages are answered by the next turn)
   */
  PromiseChecker(int maxPerSession, int maxTotal, IdSource idSource, boolean rerunsAllowed) {
    this(maxPerSession, maxTotal, idSource, rerunsAllowed, DemoMessages.CHANNEL, false);
  }

  /**
   * @param channel the channel the engine sees the messages on ({@code demo} in process, {@code api} over HTTP)
   * @param overHttp whether deliveries and replies go through the gateway: then the {@code HTTP} tally is kept
   */
  PromiseChecker(int maxPerSession, int maxTotal, IdSource idSource, boolean rerunsAllowed, String channel,
      boolean overHttp) {
    this.channel = channel;
    this.overHttp = overHttp;
    this.rerunsAllowed = rerunsAllowed;
    this.maxPerSession = maxPerSession;
    this.maxTotal = maxTotal;
    this.idSource = idSource;
  }

  private SessionKey sessionOf(String user) {
    return DemoMessages.session(channel, user, idSource);
  }

  /** Registers a message before it is first sent. */
  Tracked planned(String user, long seq) {
    Tracked t = new Tracked(DemoMessages.id(user, seq), user, seq);
    messages.put(t.id, t);
    return t;
  }

  Tracked tracked(String id) {
    Tracked t = messages.get(id);
    if (t == null) throw new IllegalArgumentException("unknown message " + id);
    return t;
  }

  /** One delivery and the engine's answer to it; {@code calledNanos}/{@code nanos}: when submit was called/returned. */
  void delivered(String id, Admission admission, long calledNanos, long nanos) {
    Tracked t = tracked(id);
    deliveries.incrementAndGet();
    t.deliveries.incrementAndGet();
    switch (admission) {
      case Admission.Accepted a -> {
        p1.check(a.session().equals(sessionOf(t.user)),
            id + " of " + t.user + " was put in session " + a.session());
        accepted(t, calledNanos, nanos);
      }
      case Admission.Duplicate d -> t.duplicates.incrementAndGet();
      case Admission.Busy b -> refused(t, t.busy);
      case Admission.Rejected r -> refused(t, t.rejected);
    }
  }

  /**
   * One {@code POST /v1/messages} and the gateway's answer: 202 accepted, 200 duplicate, 429 busy, 409
   * rejected. Any other status (or an answer whose body does not say so) is an HTTP violation; the message
   * then counts as refused, so its sender moves on. {@code status} -1: the request itself failed.
   */
  void deliveredOverHttp(String id, int status, String answerStatus, String answerId, long calledNanos, long nanos) {
    Tracked t = tracked(id);
    deliveries.incrementAndGet();
    t.deliveries.incrementAndGet();
    String expected = switch (status) {
      case 202 -> "accepted";
      case 200 -> "duplicate";
      case 429 -> "busy";
      case 409 -> "rejected";
      default -> null;
    };
    if (!http.check(expected != null && expected.equals(answerStatus) && id.equals(answerId),
        "POST " + id + " of " + t.user + " was answered " + (status < 0 ? "with a transport error" : status)
            + " " + answerStatus + (answerId.isEmpty() || answerId.equals(id) ? "" : " for id " + answerId))) {
      if (t.accepts.get() == 0) t.settled.complete(null);
      return;
    }
    switch (status) {
      case 202 -> accepted(t, calledNanos, nanos);
      case 200 -> t.duplicates.incrementAndGet();
      case 429 -> refused(t, t.busy);
      default -> refused(t, t.rejected);
    }
  }

  /** An HTTP failure outside a delivery (a reply poll answered other than 200, a malformed reply). */
  void httpFailed(String what) {
    http.check(false, what);
  }

  /** An HTTP request outside a delivery that went as it should. */
  void httpOk() {
    http.check(true, "");
  }

  private void accepted(Tracked t, long calledNanos, long nanos) {
    int n = t.accepts.incrementAndGet();
    p2.check(n == 1, t.id + " was accepted " + n + " times");
    if (n == 1) {
      t.acceptedAtNanos.set(nanos);
      t.acceptCalledNanos.set(calledNanos);
      if (t.outcome.compareAndSet(Outcome.WAITING, Outcome.ACCEPTED)) {
        unsettledAccepted.incrementAndGet();
        Outcome early = t.endedEarly.get();
        if (early != null) settle(t, early);
      }
    }
  }

  private static void refused(Tracked t, AtomicInteger counter) {
    counter.incrementAndGet();
    if (t.accepts.get() == 0) t.settled.complete(null);
  }

  /** Called by the checking agent when a turn starts; checks P1, P2, P3, P7 and P9 for it. */
  void turnStarted(TurnObservation o, long nanos) {
    TurnContext ctx = o.context();
    SessionKey session = ctx.session();
    int total = running.incrementAndGet();
    int inSession = runningBySession.computeIfAbsent(session, s -> new AtomicInteger()).incrementAndGet();
    peakRunning.accumulateAndGet(total, Math::max);
    peakSessionRunning.accumulateAndGet(inSession, Math::max);
    p3.check(total <= maxTotal, total + " turns ran at once, above max_concurrent_total " + maxTotal);
    p3.check(inSession <= maxPerSession, inSession + " turns of " + session
        + " ran at once, above max_concurrent_per_session " + maxPerSession);

    List<String> ids = o.messages().stream().map(Turn.Message::id).toList();
    p7.check(o.bound().isPresent() && o.bound().get().equals(ctx),
        "BatonContext.current() inside the turn of " + session + " was " + o.bound().map(Object::toString).orElse("unbound"));
    p7.check(ctx.messageIds().equals(ids), "context message ids " + ctx.messageIds() + " but turn messages " + ids);
    p7.check(o.mdcSession().filter(session.value()::equals).isPresent(),
        "MDC baton.session was " + o.mdcSession().orElse("unset") + " in a turn of " + session);

    p1.check(session.equals(sessionOf(ctx.user())), "turn of user " + ctx.user() + " ran in " + session);
    p1.check(o.stateOwner().map(ctx.user()::equals).orElse(true),
        "session state of " + session + " belonged to " + o.stateOwner().orElse(""));
    for (String text : o.transcriptTexts()) {
      p1.check(DemoMessages.onlyOwnedBy(text, ctx.user()), "transcript of " + session + " held: " + text);
    }
    for (Turn.Message m : o.messages()) {
      p1.check(m.sender().equals(ctx.user()) && DemoMessages.onlyOwnedBy(m.text(), ctx.user()),
          "turn of " + ctx.user() + " got message " + m.id() + " from " + m.sender());
      Tracked t = messages.get(m.id());
      if (t == null) {
        p1.check(false, "turn of " + session + " got a message nobody sent: " + m.id());
        continue;
      }
      int n = t.processed.incrementAndGet();
      if (!rerunsAllowed) {
        p2.check(n == 1, m.id() + " was processed " + n + " times");
        checkOrder(session, t);
      } else if (n > 1) {
        reruns.incrementAndGet(); // a turn whose compared state changed is run again (SessionState javadoc)
      }
      long at = t.acceptedAtNanos.get();
      if (at >= 0) queueWaitsNanos.add(Math.max(0, nanos - at));
    }
    if (!ids.isEmpty()) turnMembers.put(ids.getLast(), ids);
  }

  /**
   * P9: a message must run before every later message of its session that the engine received after it.
   * "Received after" is judged conservatively from the outside: this message's accepting submit returned
   * before the later one's accepting submit was called. A message that arrived after a later one and runs
   * after it is a late arrival (its gap was skipped after {@code gap_timeout_ms}); with {@code late_policy:
   * process} that is allowed, and it is counted as {@code processed_late}.
   */
  private void checkOrder(SessionKey session, Tracked t) {
    List<Tracked> ran = ranBySession.computeIfAbsent(session, k -> new ArrayList<>());
    synchronized (ran) {
      boolean late = false;
      Tracked overtaken = null;
      for (Tracked r : ran) {
        if (r.seq <= t.seq) continue;
        if (t.acceptedAtNanos.get() >= 0 && t.acceptedAtNanos.get() < r.acceptCalledNanos.get()) overtaken = r;
        else late = true;
      }
      p9.check(overtaken == null, session + " ran message #" + t.seq + " after #"
          + (overtaken == null ? -1 : overtaken.seq) + ", which arrived after it");
      if (late && overtaken == null) processedLate.incrementAndGet();
      ran.add(t);
    }
  }

  /** Called by the checking agent when the turn's code returns or throws. */
  void turnEnded(SessionKey session) {
    running.decrementAndGet();
    java.util.Objects.requireNonNull(runningBySession.get(session), "a turn ended that never started").decrementAndGet();
  }

  /** The engine's reply handler: checks P1, P2 and P9 on replies, and settles messages (P4). */
  void replied(Reply r) {
    Tracked answered = messages.get(r.inReplyTo());
    if (answered == null) {
      p1.check(false, "reply in " + r.session() + " to a message nobody sent: " + r.inReplyTo());
      return;
    }
    p1.check(r.session().equals(sessionOf(answered.user)) && r.chat().equals(answered.user),
        "reply to " + answered.id + " went to session " + r.session() + ", " + (overHttp ? "the poll of " : "chat ")
            + r.chat());
    if (r.kind() == Reply.Kind.REPLY) {
      p1.check(DemoMessages.onlyOwnedBy(r.text(), answered.user), "reply to " + answered.user + " said: " + r.text());
      // A turn answers its last message once per message it took (queue mode collect: several).
      int allowed = turnMembers.getOrDefault(r.inReplyTo(), List.of(r.inReplyTo())).size();
      int n = answered.replies.incrementAndGet();
      p2.check(n <= allowed, answered.id + " was answered " + n + " times");
      r.turn().ifPresent(turn -> {
        TurnMark[] previous = {null};
        lastTurnNumber.compute(r.session(), (k, last) -> {
          previous[0] = last;
          return new TurnMark(turn, r.inReplyTo());
        });
        TurnMark p = previous[0];
        boolean sameTurn = p != null && p.number() == turn && p.inReplyTo().equals(r.inReplyTo());
        p1.check(p == null || sameTurn || turn == p.number() + 1, "turn count of " + r.session() + " went from "
            + (p == null ? "-" : p.number()) + " to " + turn + ": session state was shared or lost");
      });
    }
    long[] previousOutbox = {0};
    lastOutboxSeq.compute(r.session(), (k, last) -> {
      previousOutbox[0] = last == null ? 0 : last;
      return last == null ? r.outboxSeq() : Math.max(last, r.outboxSeq());
    });
    p9.check(r.outboxSeq() > previousOutbox[0], "reply " + r.outboxSeq() + " of " + r.session()
        + " arrived after reply " + previousOutbox[0]);
    List<String> members = turnMembers.getOrDefault(r.inReplyTo(), List.of(r.inReplyTo()));
    for (String id : members) {
      Tracked t = messages.get(id);
      if (t == null) continue;
      Outcome end = r.kind() == Reply.Kind.REPLY && t.processed.get() > 0 ? Outcome.PROCESSED
          : t.processed.get() > 0 ? Outcome.FAILED : Outcome.EXPIRED;
      settle(t, end);
    }
  }

  private void settle(Tracked t, Outcome end) {
    t.endedEarly.compareAndSet(null, end); // written before the CAS, so accepted() or this CAS sees it
    if (t.outcome.compareAndSet(Outcome.ACCEPTED, end)) {
      if (unsettledAccepted.decrementAndGet() == 0) {
        synchronized (settledMonitor) {
          settledMonitor.notifyAll();
        }
      }
    }
    t.settled.complete(null);
  }

  /** Waits until every accepted message has settled, at most {@code timeoutNanos}. */
  boolean awaitSettled(long timeoutNanos) throws InterruptedException {
    long deadline = System.nanoTime() + timeoutNanos;
    synchronized (settledMonitor) {
      while (unsettledAccepted.get() > 0) {
        long left = deadline - System.nanoTime();
        if (left <= 0) return false;
        TimeUnit.NANOSECONDS.timedWait(settledMonitor, Math.min(left, TimeUnit.MILLISECONDS.toNanos(100)));
      }
    }
    return true;
  }

  /**
   * P4: every accepted message must have ended. P2 from the sender's side: "duplicate" answers only
   * redeliveries, so an id answered duplicate d times was delivered at least d + 1 times (else a fresh message
   * was taken for a copy of another, a dedup key collision, and never run). Call once, after the run, when
   * every delivery's answer is in (answers of concurrent redeliveries arrive in any order).
   */
  void finish() {
    for (Tracked t : messages.values()) {
      int d = t.duplicates.get();
      if (d > 0) {
        p2.check(t.deliveries.get() > d, t.id + " of " + t.user + " was answered duplicate " + d + " time(s) in "
            + t.deliveries.get() + " deliveries");
      }
      if (t.accepts.get() > 0) {
        p4.check(t.outcome.get() != Outcome.ACCEPTED, t.id + " was accepted and never processed or expired");
      }
    }
  }

  long settledCount() {
    return messages.values().stream().filter(t -> t.settled.isDone()).count();
  }

  List<Tally> tallies() {
    return overHttp ? List.of(p1, p2, p3, p4, p7, p9, http) : List.of(p1, p2, p3, p4, p7, p9);
  }

  List<Long> queueWaitsNanos() {
    synchronized (queueWaitsNanos) {
      return List.copyOf(queueWaitsNanos);
    }
  }

  int peakRunning() {
    return peakRunning.get();
  }

  int peakSessionRunning() {
    return peakSessionRunning.get();
  }

  /** Message counts for the report. */
  Map<String, Long> counts() {
    Map<String, Long> c = new LinkedHashMap<>();
    long sent = messages.size();
    long accepted = 0, processed = 0, expired = 0, failed = 0, busy = 0, rejected = 0, unresolved = 0;
    long extraAccepts = 0, extraProcessing = 0;
    for (Tracked t : messages.values()) {
      if (t.accepts.get() > 0) accepted++;
      extraAccepts += Math.max(0, t.accepts.get() - 1);
      extraProcessing += Math.max(0, t.processed.get() - 1);
      switch (t.outcome.get()) {
        case PROCESSED -> processed++;
        case EXPIRED -> expired++;
        case FAILED -> failed++;
        case ACCEPTED -> unresolved++;
        case WAITING -> {
          if (t.busy.get() > 0) busy++;
          else if (t.rejected.get() > 0) rejected++;
          else unresolved++;
        }
      }
    }
    c.put("sent", sent);
    c.put("deliveries", deliveries.get());
    c.put("accepted", accepted);
    c.put("processed", processed);
    c.put("busy", busy);
    c.put("rejected", rejected);
    c.put("expired", expired);
    c.put("failed", failed);
    c.put("processed_late", processedLate.get());
    if (rerunsAllowed) c.put("turn_reruns", reruns.get());
    c.put("unresolved", unresolved);
    c.put("duplicates_admitted", extraAccepts);
    if (!rerunsAllowed) c.put("duplicates_processed", extraProcessing); // else they are turn_reruns
    return c;
  }
}
