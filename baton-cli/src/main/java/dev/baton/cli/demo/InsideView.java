package dev.baton.cli.demo;

import dev.baton.Agent;
import dev.baton.BatonContext;
import dev.baton.IdSource;
import dev.baton.InboundMessage;
import dev.baton.Reply;
import dev.baton.SessionKey;
import dev.baton.Transcript;
import dev.baton.Turn;
import dev.baton.TurnContext;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.MDC;

/*
 * Overview: what only the inside of a turn can show. The probe (baton probe, shared with the demo) judges the
 * engine from outside — replies, their order, their duplicates, their silence. This wrapper around the agent
 * under test adds what no reply reveals: how many turns really run at once (P3, counted around the delegate's
 * whole turn), whether the context bound inside the turn is that turn's (P7: BatonContext.current(), the MDC,
 * the context's message ids), whether the session's state, transcript and messages hold only its user's data
 * (P1: the session state records its first owner; the probe's plan says whose each nonce is), and whether
 * a message is run by two turns (P2). It also makes some users slow, so their queues fill and expire (P4 paths).
 *
 * Concurrency: called on the engine's turn threads at once; counters are atomic, maps concurrent, and nothing
 * blocks while holding a monitor.
 */
final class InsideView implements Agent {

  static final String OWNER_KEY = "demo.owner";
  private static final Pattern NONCE = Pattern.compile("\\bpn[0-9a-z]{10}\\b");

  final Tally p1 = new Tally("P1", "isolation: turns, session state, transcript and replies hold one user's data");
  final Tally p2 = new Tally("P2", "once: no message admitted, processed or answered twice");
  final Tally p3 = new Tally("P3", "serial: turns per session and in total stay within their limits");
  final Tally p7 = new Tally("P7", "context: the context inside a turn is that turn's session, user and messages");

  private final Agent delegate;
  private final int maxPerSession;
  private final int maxTotal;
  private final boolean rerunsAllowed;
  private final String channel;
  private final IdSource idSource;
  private final Function<String, Duration> workByUser;
  private final AtomicInteger running = new AtomicInteger();
  private final AtomicInteger peakRunning = new AtomicInteger();
  private final AtomicInteger peakSessionRunning = new AtomicInteger();
  private final Map<SessionKey, AtomicInteger> runningBySession = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> runs = new ConcurrentHashMap<>();
  /** Each nonce's sender, from the probe's plan. */
  private final Map<String, String> nonceOwner;
  private final List<Long> queueWaitsMicros = java.util.Collections.synchronizedList(new ArrayList<>());
  private final AtomicLong reruns = new AtomicLong();

  /**
   * @param rerunsAllowed whether one message may be seen by two turns (overlapping turns of a session re-run
   *     after a lost compare-and-set; queue mode interrupt hands a cancelled turn's messages to the next)
   * @param nonceOwners who sent each nonce of the workload
   * @param workByUser how long the simulated model call of a user's turn takes
   */
  InsideView(Agent delegate, int maxPerSession, int maxTotal, boolean rerunsAllowed, String channel,
      IdSource idSource, Map<String, String> nonceOwners, Function<String, Duration> workByUser) {
    this.delegate = delegate;
    this.nonceOwner = nonceOwners;
    this.maxPerSession = maxPerSession;
    this.maxTotal = maxTotal;
    this.rerunsAllowed = rerunsAllowed;
    this.channel = channel;
    this.idSource = idSource;
    this.workByUser = workByUser;
  }

  @Override
  public void onTurn(Turn turn) throws Exception {
    TurnContext ctx = turn.context();
    SessionKey session = ctx.session();
    int total = running.incrementAndGet();
    AtomicInteger here = runningBySession.computeIfAbsent(session, s -> new AtomicInteger());
    int inSession = here.incrementAndGet();
    try {
      peakRunning.accumulateAndGet(total, Math::max);
      peakSessionRunning.accumulateAndGet(inSession, Math::max);
      p3.check(total <= maxTotal, total + " turns ran at once, above max_concurrent_total " + maxTotal);
      p3.check(inSession <= maxPerSession, inSession + " turns of " + session
          + " ran at once, above max_concurrent_per_session " + maxPerSession);
      observe(turn, ctx, session);
      Optional<String> owner = turn.state().get(OWNER_KEY);
      if (owner.isEmpty()) turn.state().put(OWNER_KEY, ctx.user());
      Duration work = workByUser.apply(ctx.user());
      if (!work.isZero()) Thread.sleep(work); // the simulated model call, so turns overlap as real ones do
      delegate.onTurn(turn);
    } finally {
      here.decrementAndGet();
      running.decrementAndGet();
    }
  }

  private void observe(Turn turn, TurnContext ctx, SessionKey session) {
    List<String> ids = turn.messages().stream().map(Turn.Message::id).toList();
    Optional<TurnContext> bound = BatonContext.current();
    p7.check(bound.isPresent() && bound.get().equals(ctx),
        "BatonContext.current() inside the turn of " + session + " was " + bound.map(Object::toString).orElse("unbound"));
    p7.check(ctx.messageIds().equals(ids), "context message ids " + ctx.messageIds() + " but turn messages " + ids);
    String mdc = MDC.get("baton.session");
    p7.check(session.value().equals(mdc), "MDC baton.session was " + (mdc == null ? "unset" : mdc)
        + " in a turn of " + session);

    String user = ctx.user();
    p1.check(session.equals(sessionOf(user)), "turn of user " + user + " ran in " + session);
    Optional<String> owner = turn.state().get(OWNER_KEY);
    p1.check(owner.map(user::equals).orElse(true), "session state of " + session + " belonged to " + owner.orElse(""));
    Instant now = Instant.now();
    for (Turn.Message m : turn.messages()) {
      p1.check(m.sender().equals(user) && ownedBy(m.text(), user),
          "turn of " + user + " got message " + m.id() + " from " + m.sender());
      int n = runs.computeIfAbsent(m.id(), k -> new AtomicInteger()).incrementAndGet();
      if (!rerunsAllowed) p2.check(n == 1, m.id() + " was processed " + n + " times");
      else if (n > 1) reruns.incrementAndGet(); // a turn whose compared state changed is run again
      if (n == 1) queueWaitsMicros.add(Math.max(0, Duration.between(m.sentAt(), now).toNanos() / 1000));
    }
    for (Transcript.Entry e : turn.transcript().entries()) {
      if (e.role() != Transcript.Role.USER) continue;
      p1.check(ownedBy(e.text(), user), "transcript of " + session + " held: " + e.text());
    }
  }

  /** Whether every nonce of {@code text} was sent by {@code user} (one the plan does not know is judged outside). */
  private boolean ownedBy(String text, String user) {
    for (String n : nonces(text)) {
      if (!nonceOwner.getOrDefault(n, user).equals(user)) return false;
    }
    return true;
  }

  /**
   * The reply path in process (over HTTP the probe sees the gateway route it): a reply must be committed to the
   * session of the chat it is addressed to, and quote only that user's nonces.
   */
  void checkReply(Reply r) {
    p1.check(r.session().equals(sessionOf(r.chat())), "reply to " + r.inReplyTo() + " for chat " + r.chat()
        + " was committed to session " + r.session());
  }

  private static List<String> nonces(String text) {
    List<String> out = new ArrayList<>();
    Matcher m = NONCE.matcher(text);
    while (m.find()) out.add(m.group());
    return out;
  }

  private SessionKey sessionOf(String user) {
    return SessionKey.derive(InboundMessage.of(channel, "x", user, "", Instant.EPOCH), idSource);
  }

  List<Tally> tallies() {
    return List.of(p1, p2, p3, p7);
  }

  int peakRunning() {
    return peakRunning.get();
  }

  int peakSessionRunning() {
    return peakSessionRunning.get();
  }

  /** Distinct messages the agent ran. */
  long processed() {
    return runs.size();
  }

  /** Runs of a message beyond its first (re-runs where they are allowed, else P2 violations). */
  long extraRuns() {
    return runs.values().stream().mapToLong(a -> Math.max(0, a.get() - 1)).sum();
  }

  long reruns() {
    return reruns.get();
  }

  /** Sent time to turn start of each message's first run, in nanoseconds (ms resolution of the clock). */
  List<Long> queueWaitsNanos() {
    synchronized (queueWaitsMicros) {
      return queueWaitsMicros.stream().map(us -> us * 1000).toList();
    }
  }
}
