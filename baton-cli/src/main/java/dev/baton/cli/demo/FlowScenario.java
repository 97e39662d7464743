package dev.baton.cli.demo;

import dev.baton.Admission;
import dev.baton.AskLoopException;
import dev.baton.AskRouting;
import dev.baton.Baton;
import dev.baton.InboundMessage;
import dev.baton.Reply;
import dev.baton.TurnContext;
import dev.baton.agents.OpenAiAgent;
import dev.baton.agents.testing.ScriptedChatServer;
import dev.baton.agents.testing.ScriptedChatServer.Arrival;
import dev.baton.config.BatonConfig;
import dev.baton.config.OpenAiConfig;
import dev.baton.config.ProviderLimitsConfig;
import dev.baton.config.RateLimitsConfig;
import dev.baton.config.ToolsConfig;
import dev.baton.deadlock.DeadlockReport;
import dev.baton.deadlock.WaitGraph;
import dev.baton.spi.AgentEnvironment;
import dev.baton.testing.ManualScheduler;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/*
 * Overview: flow control end to end, in process, on a virtual clock (a ManualScheduler drives the engine, the
 * openai agent's provider limiter and the rate-limited provider stub, so a minute takes milliseconds). Four legs,
 * each on its own engine, clock and meters:
 *   1. rate   — the openai agent against ScriptedChatServer.rateLimit(3), agent.rate_limits.provider at 3/min,
 *               9 sessions at once: the stub sees at most 3 requests in any 60 s and never says 429 (F1), every
 *               session is answered within its deadline in arrival order (F3);
 *   2. backoff — the stub's limit (2/min) below the engine's (10/min): the third request gets 429 + Retry-After,
 *               every caller (and a newcomer) waits in one shared pause, no request reaches the stub before it
 *               ends, one pause counted (F2), all answered (F3);
 *   3. loops  — three agents asking each other a -> b -> c -> a through AskRouting: broken at tools.ask_max_hops
 *               (a slow ring) and by the repeated-cycle check (a fast ring), the chain reported (F4);
 *   4. per user — one user floods, honest users send a few: the flooder is Busy beyond his bucket, with the
 *               per-user text; every honest message is accepted and answered (F5).
 * Faults (FlowScenarioTest) switch each protection off; the tallies must then show violations.
 *
 * One run per instance: the tallies live in the instance (DemoCommand makes a new one for the 'all' run).
 *
 * Concurrency: messages are submitted from the calling thread, turns run on the engine's virtual threads; the
 * calling thread moves the clock only when the others are quiescent (every spin is bounded in real time, so a
 * stuck engine shows as a violation, not a hang).
 */
public final class FlowScenario implements Scenario {

  /** Protections a test can switch off to prove the tallies catch their absence. */
  record Faults(boolean providerLimitOff, boolean perUserLimitOff, boolean loopChecksOff) {
    static final Faults NONE = new Faults(false, false, false);
  }

  static final int RPM = 3, RATE_SESSIONS = 9;
  static final int STUB_RPM_BACKOFF = 2, ENGINE_RPM_BACKOFF = 10;
  static final int PER_MINUTE = 6, FLOOD = 30, HONEST_USERS = 5, HONEST_MESSAGES = 3;
  static final int HOP_LIMIT = ToolsConfig.DEFAULT_ASK_MAX_HOPS, UNBROKEN_AFTER = 40;
  static final Duration DEADLINE = Duration.ofMinutes(5);
  static final String BUSY_TEXT = "flow demo: slow down, please";
  static final long SPIN_MS = 10_000, MINUTE_SPIN_MS = 2_000;

  private final Faults faults;

  public FlowScenario() {
    this(Faults.NONE);
  }

  FlowScenario(Faults faults) {
    this.faults = faults;
  }

  @Override
  public String name() {
    return "flow";
  }

  @Override
  public String summary() {
    return "provider rate and 429 backoff on a virtual clock, fair service, agent loops, a flooding user (F1-F5)";
  }

  final Tally rate = new Tally("F1", "in every 60 s of the provider stub's arrivals, at most requests_per_minute");
  final Tally backoff = new Tally("F2", "a 429 with Retry-After: one shared pause, no request reaches the stub during it");
  final Tally fair = new Tally("F3", "every session answered within its deadline, in arrival order");
  final Tally loops = new Tally("F4", "a three-agent ask loop is broken (hop limit, repeated cycle), the chain reported");
  final Tally flood = new Tally("F5", "a flooding user is Busy beyond his bucket, honest users all served");

  private final Map<String, Object> load = new LinkedHashMap<>();
  private final Map<String, Long> engine = new TreeMap<>();
  private final AtomicInteger sent = new AtomicInteger(), answered = new AtomicInteger();

  @Override
  public DemoReport run(DemoOptions options, Progress progress) throws InterruptedException {
    long start = System.nanoTime();
    BatonConfig base = options.config().withAgent(options.config().agent().withTurnTimeoutMs(DEADLINE.toMillis()));
    progress.update(0, 4);
    rateLeg(base);
    progress.update(1, 4);
    backoffLeg(base);
    progress.update(2, 4);
    loopLeg(base);
    progress.update(3, 4);
    floodLeg(base);
    progress.finish(4, 4);
    double seconds = (System.nanoTime() - start) / 1e9;
    Map<String, DemoReport.PromiseResult> promises = new LinkedHashMap<>();
    for (Tally t : List.of(rate, backoff, fair, loops, flood)) promises.put(t.promise, t.result());
    Map<String, Long> messages = new LinkedHashMap<>();
    messages.put("sent", (long) sent.get());
    messages.put("answered", (long) answered.get());
    return new DemoReport(name(), options.seed(), DemoReport.passed(promises), promises, messages, load, engine,
        Map.of(), seconds, answered.get() / Math.max(seconds, 1e-9));
  }

  // ---- leg 1: the provider's rate -------------------------------------------------------------------------

  private void rateLeg(BatonConfig base) {
    ManualScheduler clock = new ManualScheduler();
    Instant t0 = clock.now();
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    Map<String, Instant> repliedAt = new ConcurrentHashMap<>();
    Map<String, Reply.Kind> kinds = new ConcurrentHashMap<>();
    try (ScriptedChatServer stub = ScriptedChatServer.start().rateLimit(RPM, clock::now)
        .fallback(body -> ScriptedChatServer.answer("ok"))) {
      OpenAiAgent agent = agent(stub, faults.providerLimitOff() ? 0 : RPM, clock, meters);
      try (Baton baton = Baton.builder().config(base).scheduler(clock).agent(agent).meterRegistry(meters)
          .replies(r -> record(r, clock, repliedAt, kinds)).build()) {
        for (int i = 0; i < RATE_SESSIONS; i++) {
          String id = "r-" + i;
          int me = i;
          double before = waiting(meters);
          submit(baton, t0, id, "rate-u" + i);
          spin(() -> repliedAt.containsKey(id) || waiting(meters) > before
              || me >= RPM && waiting(meters) >= me - RPM + 1);
        }
        // As ProviderFlowControlTest: each minute the window frees RPM places, taken by the next RPM in line.
        for (int minute = 1; minute < RATE_SESSIONS / RPM; minute++) {
          clock.advance(Duration.ofMinutes(1));
          int expected = (minute + 1) * RPM;
          spin(() -> repliedAt.size() >= expected, MINUTE_SPIN_MS); // short: without the limit this never comes
        }
        drain(clock, meters, repliedAt, RATE_SESSIONS, Duration.ofMinutes(1));
      }
      List<Arrival> arrivals = stub.arrivals();
      windowCheck(arrivals, RPM, "rate leg");
      backoff.check(true, ""); // (the 429s of this leg, if any, are F1's violations)
      serviceCheck(t0, "r-", RATE_SESSIONS, repliedAt, kinds, true);
      load.put("rate_leg", Map.of("stub_rpm", RPM, "engine_rpm", faults.providerLimitOff() ? 0 : RPM,
          "sessions", RATE_SESSIONS, "requests", arrivals.size(), "virtual_s", seconds(t0, clock.now())));
    }
    counters(meters);
  }

  // ---- leg 2: the shared backoff after a 429 ----------------------------------------------------------------

  private void backoffLeg(BatonConfig base) {
    ManualScheduler clock = new ManualScheduler();
    Instant t0 = clock.now();
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    Map<String, Instant> repliedAt = new ConcurrentHashMap<>();
    Map<String, Reply.Kind> kinds = new ConcurrentHashMap<>();
    int sessions = 4;
    try (ScriptedChatServer stub = ScriptedChatServer.start().rateLimit(STUB_RPM_BACKOFF, clock::now)
        .fallback(body -> ScriptedChatServer.answer("ok"))) {
      OpenAiAgent agent = agent(stub, faults.providerLimitOff() ? 0 : ENGINE_RPM_BACKOFF, clock, meters);
      try (Baton baton = Baton.builder().config(base).scheduler(clock).agent(agent).meterRegistry(meters)
          .replies(r -> record(r, clock, repliedAt, kinds)).build()) {
        for (int i = 0; i < 3; i++) {
          String id = "b-" + i;
          int arrived = stub.arrivals().size();
          submit(baton, t0, id, "backoff-u" + i);
          spin(() -> repliedAt.containsKey(id) || stub.arrivals().size() > arrived && waiting(meters) >= 1);
        }
        // Two answered, the third got 429 + Retry-After and waits in the shared pause.
        boolean paused = spin(() -> repliedAt.size() == 2 && waiting(meters) == 1);
        backoff.check(paused, "after the stub's 429: " + repliedAt.size() + " answered, " + waiting(meters)
            + " waiting (expected 2 and 1)");
        clock.advance(Duration.ofSeconds(10));
        submit(baton, t0, "b-3", "backoff-u3"); // arrives during the pause: waits for the same instant
        spin(() -> waiting(meters) >= 2);
        int reached = stub.arrivals().size();
        for (int s = 10; s < 60; s++) { // in steps shorter than any private backoff (500 ms) would be
          clock.advance(Duration.ofMillis(250));
          clock.advance(Duration.ofMillis(750));
          if (s < 59) {
            int now = stub.arrivals().size();
            backoff.check(now == reached, now - reached + " requests reached the stub by " + (s + 1)
                + " s, during the pause");
          }
        }
        drain(clock, meters, repliedAt, sessions, Duration.ofSeconds(30));
      }
      List<Arrival> arrivals = stub.arrivals();
      windowCheck(arrivals, faults.providerLimitOff() ? RPM : ENGINE_RPM_BACKOFF, "backoff leg");
      // Pauses: one per burst of 429s; and after each 429 nothing until the instant its Retry-After named.
      long bursts = 0;
      boolean inBurst = false;
      for (int i = 0; i < arrivals.size(); i++) {
        Arrival a = arrivals.get(i);
        if (a.status() != 429) {
          inBurst = false;
          continue;
        }
        if (!inBurst) bursts++;
        inBurst = true;
        Instant until = retryAt(arrivals, a.at(), STUB_RPM_BACKOFF);
        for (int j = i + 1; j < arrivals.size(); j++) {
          Arrival b = arrivals.get(j);
          if (b.at().isBefore(until)) {
            backoff.check(false, "a request reached the stub at " + seconds(t0, b.at()) + " s, in the pause until "
                + seconds(t0, until) + " s");
          }
        }
      }
      double pauses = meters.find("baton.provider.pauses").counters().stream().mapToDouble(Counter::count).sum();
      backoff.check(bursts > 0, "the stub never answered 429: the leg did not test the backoff");
      backoff.check(pauses == bursts, (long) pauses + " pauses counted for " + bursts + " bursts of 429");
      serviceCheck(t0, "b-", sessions, repliedAt, kinds, false);
      load.put("backoff_leg", Map.of("stub_rpm", STUB_RPM_BACKOFF, "engine_rpm", faults.providerLimitOff() ? 0
          : ENGINE_RPM_BACKOFF, "requests", arrivals.size(), "status_429", arrivals.stream()
          .filter(a -> a.status() == 429).count(), "pauses", (long) pauses, "virtual_s", seconds(t0, clock.now())));
    }
    counters(meters);
  }

  /** When the stub's window (limit {@code rpm}) frees a place after a 429 at {@code at}: its Retry-After. */
  private static Instant retryAt(List<Arrival> arrivals, Instant at, int rpm) {
    List<Instant> admitted = arrivals.stream().filter(a -> a.status() == 200 && !a.at().isAfter(at)
        && a.at().isAfter(at.minusSeconds(60))).map(Arrival::at).sorted().toList();
    if (admitted.size() < rpm) return at;
    long ms = Duration.between(at, admitted.getFirst().plusSeconds(60)).toMillis();
    return at.plusSeconds(Math.max(1, (ms + 999) / 1000));
  }

  // ---- leg 3: agent loops -----------------------------------------------------------------------------------

  private void loopLeg(BatonConfig base) throws InterruptedException {
    // A slow ring (a lap outlasts the loop window): only the hop limit can break it.
    storm(base, faults.loopChecksOff() ? new Loop(1000, 1) : new Loop(HOP_LIMIT, 10_000), Duration.ofSeconds(6),
        DeadlockReport.VIA_HOP_LIMIT);
    // A fast ring (1 s a turn, a lap in 3 s) under a high hop limit: the repeated-cycle check catches its second
    // lap. With the checks off (a 1 ms window) no lap repeats within the window and nothing breaks it.
    storm(base, faults.loopChecksOff() ? new Loop(1000, 1) : new Loop(100, ToolsConfig.DEFAULT_LOOP_WINDOW_MS),
        Duration.ofSeconds(1), DeadlockReport.VIA_REPEAT);
  }

  private record Loop(int maxHops, long windowMs) {}

  private void storm(BatonConfig base, Loop loop, Duration perTurn, String via) throws InterruptedException {
    ManualScheduler clock = new ManualScheduler();
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    Map<String, String> peers = Map.of("a", "api:u:a", "b", "api:u:b", "c", "api:u:c");
    Map<String, String> next = Map.of("api:u:a", "b", "api:u:b", "c", "api:u:c", "a");
    ToolsConfig tools = new ToolsConfig(base.tools().workspaceRoot(), base.tools().idempotencyRetentionMs(), peers)
        .withLoops(loop.maxHops(), loop.windowMs(), ToolsConfig.OnLoop.FAIL_NEWEST);
    BatonConfig cfg = base.withTools(tools);
    AskRouting asks = AskRouting.forPeers(cfg.tools().askPeers());
    CompletableFuture<AskLoopException> stopped = new CompletableFuture<>();
    AtomicInteger hops = new AtomicInteger();
    AtomicInteger ids = new AtomicInteger();
    try (WaitGraph.Owned graph = WaitGraph.create(cfg.agent().deadlockDetection(), clock, meters);
        Baton b = Baton.builder().config(cfg).scheduler(clock).asks(asks, graph).meterRegistry(meters)
            .replies(r -> {})
            .agent(turn -> {
              TurnContext ctx = turn.context();
              if (!perTurn.isZero()) clock.advance(perTurn);
              int hop = ctx.chain().hops() + 1;
              hops.accumulateAndGet(hop, Math::max);
              if (hop > UNBROKEN_AFTER) { // nothing broke it: the demo stops the storm itself
                stopped.complete(null);
              } else {
                CompletableFuture<String> sentAsk = asks.send("x" + ids.incrementAndGet(), ctx,
                    next.getOrDefault(ctx.session().value(), "b"), "echo");
                if (sentAsk.isCompletedExceptionally() && sentAsk.exceptionNow() instanceof AskLoopException e) {
                  stopped.complete(e);
                }
              }
              turn.reply("ok");
            }).build()) {
      b.submit(InboundMessage.of("api", "go", "a", "start", clock.now()));
      AskLoopException e;
      try {
        e = stopped.get(SPIN_MS, TimeUnit.MILLISECONDS);
      } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException x) {
        e = null;
      }
      List<DeadlockReport> reports = graph.recentDeadlocks();
      double broken = meters.find("baton.loops.broken").tag("via", via).counters().stream()
          .mapToDouble(Counter::count).sum();
      String what = via + " ring (ask_max_hops " + loop.maxHops() + ", loop_window_ms " + loop.windowMs() + ")";
      if (e == null) {
        loops.check(false, what + ": not broken after " + hops.get() + " hops");
      } else {
        String msg = String.valueOf(e.getMessage());
        boolean ok = msg.contains("chain a -> b -> c -> a") && broken == 1
            && reports.stream().anyMatch(r -> r.via().equals(via)) && hops.get() <= Math.max(HOP_LIMIT + 1, 6);
        loops.check(ok, what + ": broken at hop " + hops.get() + ", " + (long) broken + " counted as " + via
            + ": " + msg);
      }
      load.put("loop_" + via.replace('-', '_'), Map.of("hops", hops.get(), "broken", e != null,
          "chain", e == null ? "" : String.valueOf(e.getMessage()).replaceAll("^.*chain ", "")));
    }
    counters(meters);
  }

  // ---- leg 4: a flooding user ---------------------------------------------------------------------------------

  private void floodLeg(BatonConfig base) {
    ManualScheduler clock = new ManualScheduler();
    Instant t0 = clock.now();
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    Map<String, Instant> repliedAt = new ConcurrentHashMap<>();
    Map<String, Reply.Kind> kinds = new ConcurrentHashMap<>();
    RateLimitsConfig limits = faults.perUserLimitOff() ? base.agent().rateLimits()
        : base.agent().rateLimits().withPerUser(new RateLimitsConfig.PerUserConfig(PER_MINUTE, 0, BUSY_TEXT, 1000));
    BatonConfig cfg = base.withAgent(base.agent().withRateLimits(limits));
    int capacity = new RateLimitsConfig.PerUserConfig(PER_MINUTE, 0).effectiveBurst();
    List<String> honest = new ArrayList<>();
    try (Baton baton = Baton.builder().config(cfg).scheduler(clock).meterRegistry(meters)
        .agent(turn -> turn.reply("ok")).replies(r -> record(r, clock, repliedAt, kinds)).build()) {
      for (int m = 0; m < FLOOD; m++) {
        Admission a = submit(baton, t0, "f-" + m, "flooder");
        if (m < capacity) {
          flood.check(a instanceof Admission.Accepted, "the flooder's message " + m + " within his bucket: " + a);
        } else {
          flood.check(a instanceof Admission.Busy busy && busy.reply().equals(BUSY_TEXT),
              "the flooder's message " + m + " beyond his bucket of " + capacity + ": " + a);
        }
        if (m % (FLOOD / HONEST_MESSAGES) == 0) {
          for (int u = 0; u < HONEST_USERS; u++) {
            String id = "h" + u + "-" + m;
            honest.add(id);
            Admission h = submit(baton, t0, id, "honest-" + u);
            flood.check(h instanceof Admission.Accepted, "honest " + id + ": " + h);
          }
        }
      }
      spin(() -> honest.stream().allMatch(repliedAt::containsKey));
    }
    for (String id : honest) {
      flood.check(kinds.get(id) == Reply.Kind.REPLY, "honest " + id + " answered " + kinds.getOrDefault(id, null));
    }
    load.put("flood_leg", Map.of("messages_per_minute", faults.perUserLimitOff() ? 0 : PER_MINUTE, "flood", FLOOD,
        "honest", honest.size(), "refused", (long) meters.find("baton.bounds.refused").tag("bound", "rate_per_user")
            .counters().stream().mapToDouble(Counter::count).sum()));
    counters(meters);
  }

  // ---- shared -----------------------------------------------------------------------------------------------

  private static OpenAiAgent agent(ScriptedChatServer stub, int rpm, ManualScheduler clock, SimpleMeterRegistry meters) {
    OpenAiConfig c = OpenAiConfig.defaults().withBaseUrl(stub.baseUrl()).withModel("m").withApiKey("k")
        .withStream(false).withRetries(5, 500, 500);
    return OpenAiAgent.create(c, new ProviderLimitsConfig(rpm, 0),
        new AgentEnvironment(clock, meters, Optional.empty(), Optional.empty()));
  }

  private Admission submit(Baton baton, Instant at, String id, String user) {
    sent.incrementAndGet();
    return baton.submit(new InboundMessage(DemoMessages.CHANNEL, id, user, "", dev.baton.OrderKey.NONE,
        "hi from " + user, at, Map.of()));
  }

  private void record(Reply r, ManualScheduler clock, Map<String, Instant> at, Map<String, Reply.Kind> kinds) {
    if (at.putIfAbsent(r.inReplyTo(), clock.now()) == null) {
      kinds.put(r.inReplyTo(), r.kind());
      answered.incrementAndGet();
    }
  }

  /** Requests waiting in the provider limiter (its gauge). */
  private static double waiting(SimpleMeterRegistry meters) {
    return meters.find("baton.provider.waiting").gauges().stream().mapToDouble(Gauge::value).sum();
  }

  /** Spins (bounded in real time) until {@code condition}; false if it did not come. */
  private static boolean spin(BooleanSupplier condition) {
    return spin(condition, SPIN_MS);
  }

  private static boolean spin(BooleanSupplier condition, long ms) {
    long limit = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > limit) return false;
      java.util.concurrent.locks.LockSupport.parkNanos(200_000); // 0.2 ms: leave the 2 cores to the engine
    }
    return true;
  }

  /**
   * Moves the clock in {@code step}s until all {@code total} messages are answered or the deadline has passed;
   * before each step waits until every unanswered message waits in the limiter (nothing else can move).
   */
  private static void drain(ManualScheduler clock, SimpleMeterRegistry meters, Map<String, Instant> replied,
      int total, Duration step) {
    Instant end = clock.now().plus(DEADLINE).plus(step);
    while (replied.size() < total && clock.now().isBefore(end)) {
      spin(() -> replied.size() + waiting(meters) >= total);
      int before = replied.size();
      clock.advance(step);
      // The woken waiters' replies come asynchronously: give them a moment before judging what is left.
      long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200);
      while (replied.size() == before && System.nanoTime() < until) {
        java.util.concurrent.locks.LockSupport.parkNanos(200_000); // 0.2 ms: leave the 2 cores to the engine
      }
    }
    spin(() -> replied.size() >= total);
  }

  /** F1: for each arrival, the arrivals in the 60 s from it are at most {@code rpm}. */
  private void windowCheck(List<Arrival> arrivals, int rpm, String leg) {
    for (Arrival a : arrivals) {
      long in = arrivals.stream().filter(b -> !b.at().isBefore(a.at()) && b.at().isBefore(a.at().plusSeconds(60)))
          .count();
      rate.check(in <= rpm, leg + ": " + in + " requests in the 60 s from " + a.at() + " (limit " + rpm + ")");
    }
  }

  /**
   * F3: each session replied (REPLY) within its deadline; with {@code ordered} (all sent at once, RPM a minute),
   * session i exactly in minute i / RPM: served in arrival order, never overtaken.
   */
  private void serviceCheck(Instant t0, String prefix, int sessions, Map<String, Instant> at,
      Map<String, Reply.Kind> kinds, boolean ordered) {
    Instant previous = t0;
    for (int i = 0; i < sessions; i++) {
      String id = prefix + i;
      Instant when = at.get(id);
      Reply.Kind kind = kinds.get(id);
      boolean ok = when != null && kind == Reply.Kind.REPLY && !when.isAfter(t0.plus(DEADLINE))
          && (!ordered || !when.isBefore(previous) && seconds(t0, when) == (long) (i / RPM) * 60);
      fair.check(ok, id + ": " + (when == null ? "no reply" : kind + " at " + seconds(t0, when) + " s"
          + (ordered ? " (in arrival order: " + (i / RPM) * 60 + " s)" : "")));
      if (when != null && when.isAfter(previous)) previous = when;
    }
  }

  private static long seconds(Instant t0, Instant at) {
    return Duration.between(t0, at).toSeconds();
  }

  private void counters(SimpleMeterRegistry meters) {
    for (Meter m : meters.getMeters()) {
      if (m instanceof Counter c && m.getId().getName().startsWith("baton.")) {
        engine.merge(m.getId().getName(), (long) c.count(), Long::sum);
      }
    }
  }
}
