package dev.baton.cli.demo;

import dev.baton.Admission;
import dev.baton.Agent;
import dev.baton.Baton;
import dev.baton.InboundMessage;
import dev.baton.config.BatonConfig;
import dev.baton.config.ConcurrencyConfig;
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
import java.util.Set;
import java.util.function.Function;
import java.util.TreeMap;
import java.util.stream.Collectors;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/*
 * Overview: the default demo. Many simulated users talk to the in-process engine running the echo agent at
 * once; the traffic injects duplicate deliveries (some from two threads at the same instant), swapped
 * messages and bursts that overflow queues. A PromiseChecker watches submit answers, every turn (through
 * CheckingAgent) and every reply, and the report says how often each promise was checked and broken.
 *
 * Concurrency: one virtual thread per user (plus one per concurrent duplicate); the calling thread only
 * reports progress and waits. Every wait is bounded by `settleTimeout`, so a lost message shows up as a P4
 * violation, not a hang.
 */
public final class SessionsScenario implements Scenario {

  private final Function<BatonConfig, Agent> agents;

  /** Runs the agent named by {@code agent.type} (the echo agent in the demo's configuration). */
  public SessionsScenario() {
    this(SessionsScenario::agentFor);
  }

  /** Runs the given agent (tests use agents with planted bugs to show that the checks catch them). */
  SessionsScenario(Function<BatonConfig, Agent> agents) {
    this.agents = agents;
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
    BatonConfig config = options.config();
    ConcurrencyConfig cc = config.agent().concurrency();
    PromiseChecker checker = new PromiseChecker(cc.maxConcurrentPerSession(), cc.maxConcurrentTotal(),
        config.sessions().idSource(),
        cc.maxConcurrentPerSession() > 1 || cc.queueMode() == ConcurrencyConfig.QueueMode.INTERRUPT);
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
    boolean settled;
    try (Baton baton = Baton.builder().config(config).agent(agent).replies(checker::replied).meterRegistry(meters)
            .build();
        ExecutorService users = Executors.newVirtualThreadPerTaskExecutor()) {
      List<Future<Object>> running = plans.stream()
          .map(p -> users.<Object>submit(() -> { runUser(baton, p, checker, settleTimeout, users); return null; }))
          .toList();
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
      long settleDeadline = System.nanoTime() + settleTimeout.toNanos();
      do {
        progress.update(checker.settledCount(), total);
        settled = checker.awaitSettled(TimeUnit.MILLISECONDS.toNanos(100));
      } while (!settled && System.nanoTime() < settleDeadline);
      progress.finish(checker.settledCount(), total);
      users.shutdownNow();
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
        DemoReport.percentilesMs(checker.queueWaitsNanos()), seconds, counts.get("processed") / seconds);
  }

  private static void runUser(Baton baton, Traffic.UserPlan plan, PromiseChecker checker, Duration settleTimeout,
      ExecutorService threads) throws Exception {
    for (List<Traffic.Send> group : plan.groups()) {
      for (Traffic.Send s : group) {
        if (s.dup() == Traffic.Dup.CONCURRENT) concurrentDeliveries(baton, plan.user(), s.seq(), checker, threads);
        else deliver(baton, plan.user(), s.seq(), checker);
      }
      if (!plan.bursty()) {
        for (Traffic.Send s : group) awaitSettled(checker.tracked(DemoMessages.id(plan.user(), s.seq())), settleTimeout);
      }
      for (Traffic.Send s : group) {
        if (s.dup() == Traffic.Dup.LATER) deliver(baton, plan.user(), s.seq(), checker); // a platform retry
      }
    }
  }

  /** The first delivery and its duplicate at once, from this thread and a second one released by a latch. */
  private static void concurrentDeliveries(Baton baton, String user, long seq, PromiseChecker checker,
      ExecutorService threads) throws Exception {
    CountDownLatch go = new CountDownLatch(1);
    Future<?> other = threads.submit(() -> {
      go.await();
      deliver(baton, user, seq, checker);
      return null;
    });
    go.countDown();
    deliver(baton, user, seq, checker);
    other.get(30, TimeUnit.SECONDS);
  }

  private static void deliver(Baton baton, String user, long seq, PromiseChecker checker) {
    InboundMessage m = DemoMessages.message(user, seq, Instant.now());
    long called = System.nanoTime();
    Admission a = baton.submit(m);
    checker.delivered(m.messageId(), a, called, System.nanoTime());
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
