package dev.baton.cli.demo;

import dev.baton.Admission;
import dev.baton.Agent;
import dev.baton.Baton;
import dev.baton.InboundMessage;
import dev.baton.config.BatonConfig;
import dev.baton.config.ConcurrencyConfig;
import dev.baton.config.StorageConfig;
import dev.baton.spi.ReplyHandler;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import dev.baton.spi.AgentProvider;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.Set;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import java.util.TreeMap;
import java.util.stream.Collectors;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/*
 * Overview: the default demo. Many simulated users talk to the engine running the echo agent at once — over
 * HTTP through a gateway started in process (HttpUsers: JWT-signed POSTs, long-polled replies), or by
 * calling Baton.submit in process; the traffic injects duplicate deliveries (some from two threads at the same instant), swapped
 * messages and bursts that overflow queues. A PromiseChecker watches submit answers, every turn (through
 * CheckingAgent) and every reply, and the report says how often each promise was checked and broken.
 *
 * Concurrency: one virtual thread per user (plus one per concurrent duplicate, and over HTTP one poller per
 * user); the calling thread only
 * reports progress and waits. Every wait is bounded by `settleTimeout`, so a lost message shows up as a P4
 * violation, not a hang.
 */
public final class SessionsScenario implements Scenario {

  /** How one delivery reaches the engine: {@code Baton.submit}, or {@code POST /v1/messages}. */
  private interface Sender {
    void deliver(String user, long seq) throws Exception;
  }

  private final Function<BatonConfig, Agent> agents;
  private final boolean builtInAgent;
  private final UnaryOperator<ReplyHandler> replyPath;

  /** Runs the agent named by {@code agent.type} (the echo agent in the demo's configuration). */
  public SessionsScenario() {
    this(SessionsScenario::agentFor, true, r -> r);
  }

  /** Runs the given agent (tests use agents with planted bugs to show that the checks catch them). */
  SessionsScenario(Function<BatonConfig, Agent> agents) {
    this(agents, false, r -> r);
  }

  /**
   * @param builtInAgent whether the agent is the one named by {@code agent.type} (the echo agent numbers its
   *     replies' turns, which the HTTP check then requires)
   * @param replyPath what the engine hands its replies to, given the checker's or the gateway's handler (tests
   *     plant delivery faults here)
   */
  SessionsScenario(Function<BatonConfig, Agent> agents, boolean builtInAgent, UnaryOperator<ReplyHandler> replyPath) {
    this.agents = agents;
    this.builtInAgent = builtInAgent;
    this.replyPath = replyPath;
  }

  @Override
  public String name() {
    return "sessions";
  }

  @Override
  public String summary() {
    return "many users, duplicates, reordering and bursts against the echo agent (P1 P2 P3 P4 P7 P9)";
  }

  @Override
  public DemoReport run(DemoOptions options, Progress progress) throws InterruptedException {
    Path tempDir = null;
    BatonConfig config = options.config();
    try {
      if (options.store() == DemoOptions.DemoStore.MEMORY) config = config.withStorage(StorageConfig.defaults());
      if (options.store() == DemoOptions.DemoStore.SQLITE) {
        tempDir = Files.createTempDirectory("baton-demo");
        config = config.withStorage(StorageConfig.sqlite(tempDir.resolve("demo.db").toString()));
      }
      return run(options, config, progress);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the demo's temporary SQLite file", e);
    } finally {
      if (tempDir != null) deleteQuietly(tempDir);
    }
  }

  private DemoReport run(DemoOptions options, BatonConfig config, Progress progress) throws InterruptedException {
    boolean overHttp = options.transport() == DemoOptions.Transport.HTTP;
    ConcurrencyConfig cc = config.agent().concurrency();
    PromiseChecker checker = new PromiseChecker(cc.maxConcurrentPerSession(), cc.maxConcurrentTotal(),
        config.sessions().idSource(),
        cc.maxConcurrentPerSession() > 1 || cc.queueMode() == ConcurrencyConfig.QueueMode.INTERRUPT,
        overHttp ? "api" : DemoMessages.CHANNEL, overHttp);
    List<Traffic.UserPlan> plans = Traffic.plan(options.users(), options.messages(), options.seed());
    for (Traffic.UserPlan p : plans) {
      for (List<Traffic.Send> g : p.groups()) for (Traffic.Send s : g) checker.planned(p.user(), s.seq());
    }
    long total = (long) options.users() * options.messages();
    Duration settleTimeout = Duration.ofMillis(cc.queueTimeoutMs() + config.agent().turnTimeoutMs()
        + config.ordering().gapTimeoutMs() + 5_000);
    Set<String> slowUsers = plans.stream().filter(Traffic.UserPlan::slow).map(Traffic.UserPlan::user)
        .collect(Collectors.toUnmodifiableSet());
    Duration work = Duration.ofMillis(options.turnMillis());
    Duration slowWork = Duration.ofMillis(Math.max(1, cc.queueTimeoutMs() / 5)); // 8 queued: the last expire
    Agent agent = new CheckingAgent(agents.apply(config), checker, u -> slowUsers.contains(u) ? slowWork : work);
    SimpleMeterRegistry meters = new SimpleMeterRegistry();

    long start = System.nanoTime();
    Map<String, Object> httpFigures = Map.of();
    HttpUsers http = null;
    Baton baton = null;
    try (ExecutorService users = Executors.newVirtualThreadPerTaskExecutor()) {
      Sender sender;
      if (overHttp) {
        http = new HttpUsers(config, agent, meters, checker, builtInAgent && config.agent().type().equals("echo"),
            replyPath);
        sender = http::deliver;
      } else {
        Baton b = baton = Baton.builder().config(config).agent(agent).replies(replyPath.apply(checker::replied))
            .meterRegistry(meters).build();
        sender = (user, seq) -> deliver(b, user, seq, checker);
      }
      HttpUsers h = http;
      List<Future<Object>> running = plans.stream().map(p -> {
        AtomicBoolean sent = new AtomicBoolean();
        if (h != null) h.poll(p.user(), () -> sent.get() && allSettled(p, checker));
        return users.<Object>submit(() -> {
          try {
            runUser(sender, p, checker, settleTimeout, users);
          } finally {
            sent.set(true);
          }
          return null;
        });
      }).toList();
      awaitUsers(running, progress, checker, total, settleTimeout);
      long settleDeadline = System.nanoTime() + settleTimeout.toNanos();
      boolean settled;
      do {
        progress.update(checker.settledCount(), total);
        settled = checker.awaitSettled(TimeUnit.MILLISECONDS.toNanos(100));
      } while (!settled && System.nanoTime() < settleDeadline);
      progress.finish(checker.settledCount(), total);
      users.shutdownNow();
    } finally {
      if (http != null) {
        http.close();
        httpFigures = http.figures();
      }
      if (baton != null) baton.close();
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    checker.finish();

    Map<String, DemoReport.PromiseResult> promises = new LinkedHashMap<>();
    for (Tally t : checker.tallies()) promises.put(t.promise, t.result());
    Map<String, Long> counts = checker.counts();
    Map<String, Object> load = new LinkedHashMap<>();
    load.put("users", options.users());
    load.put("bursty_users", plans.stream().filter(Traffic.UserPlan::bursty).count());
    load.put("slow_users", slowUsers.size());
    load.put("messages_per_user", options.messages());
    load.put("duplicated", plans.stream().mapToLong(Traffic.UserPlan::duplicates).sum());
    load.put("reordered_pairs", plans.stream().mapToLong(Traffic.UserPlan::reorderedPairs).sum());
    load.put("peak_running_turns", checker.peakRunning());
    load.put("max_concurrent_total", cc.maxConcurrentTotal());
    load.put("peak_turns_in_one_session", checker.peakSessionRunning());
    load.put("max_concurrent_per_session", cc.maxConcurrentPerSession());
    load.put("max_queue_per_session", cc.maxQueuePerSession());
    Map<String, Long> engine = new TreeMap<>(); // the engine's own counters, shown beside what was observed
    for (Meter m : meters.getMeters()) {
      if (m instanceof Counter c) engine.put(m.getId().getName(), (long) c.count());
    }
    return new DemoReport(name(), options.seed(), DemoReport.passed(promises), promises, counts, load, engine,
        DemoReport.percentilesMs(checker.queueWaitsNanos()), seconds, counts.getOrDefault("processed", 0L) / seconds,
        overHttp ? "http" : "inprocess", httpFigures);
  }

  private static void runUser(Sender baton, Traffic.UserPlan plan, PromiseChecker checker, Duration settleTimeout,
      ExecutorService threads) throws Exception {
    for (List<Traffic.Send> group : plan.groups()) {
      for (Traffic.Send s : group) {
        if (s.dup() == Traffic.Dup.CONCURRENT) concurrentDeliveries(baton, plan.user(), s.seq(), threads);
        else baton.deliver(plan.user(), s.seq());
      }
      if (!plan.bursty()) {
        for (Traffic.Send s : group) awaitSettled(checker.tracked(DemoMessages.id(plan.user(), s.seq())), settleTimeout);
      }
      for (Traffic.Send s : group) {
        if (s.dup() == Traffic.Dup.LATER) baton.deliver(plan.user(), s.seq()); // a platform retry
      }
    }
  }

  /** The first delivery and its duplicate at once, from this thread and a second one released by a latch. */
  private static void concurrentDeliveries(Sender baton, String user, long seq, ExecutorService threads)
      throws Exception {
    CountDownLatch go = new CountDownLatch(1);
    Future<?> other = threads.submit(() -> {
      go.await();
      baton.deliver(user, seq);
      return null;
    });
    go.countDown();
    baton.deliver(user, seq);
    other.get(30, TimeUnit.SECONDS);
  }

  private static void deliver(Baton baton, String user, long seq, PromiseChecker checker) {
    InboundMessage m = DemoMessages.message(user, seq, Instant.now());
    long called = System.nanoTime();
    Admission a = baton.submit(m);
    checker.delivered(m.messageId(), a, called, System.nanoTime());
  }

  /** Waits for the users' threads (bounded), reporting progress; a user's failure stops the run. */
  private static void awaitUsers(List<Future<Object>> running, Progress progress, PromiseChecker checker, long total,
      Duration settleTimeout) throws InterruptedException {
    long sendDeadline = System.nanoTime() + settleTimeout.toNanos() * 4;
    for (Future<?> f : running) {
      while (!f.isDone() && System.nanoTime() < sendDeadline) {
        progress.update(checker.settledCount(), total);
        try {
          f.get(100, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
          // keep reporting progress
        } catch (java.util.concurrent.ExecutionException e) {
          throw new IllegalStateException("a simulated user failed: " + e.getCause(), e.getCause());
        }
      }
    }
  }

  private static boolean allSettled(Traffic.UserPlan p, PromiseChecker checker) {
    return p.groups().stream().flatMap(List::stream)
        .allMatch(s -> checker.tracked(DemoMessages.id(p.user(), s.seq())).settled.isDone());
  }

  private static void deleteQuietly(Path dir) {
    try (var files = Files.walk(dir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    } catch (IOException e) {
      // a temporary directory left behind is harmless
    }
  }

  private static void awaitSettled(PromiseChecker.Tracked t, Duration timeout) throws InterruptedException {
    try {
      t.settled.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      // counted as a P4 violation at the end; the user moves on
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The agent named by {@code agent.type}, found the way the engine finds it. */
  static Agent agentFor(BatonConfig config) {
    String type = config.agent().type();
    for (AgentProvider p : ServiceLoader.load(AgentProvider.class)) {
      if (p.type().equals(type)) return p.create(config);
    }
    throw new IllegalStateException("no agent of type '" + type + "' is installed (agent.type)");
  }
}
