package dev.baton.cli.demo;

import dev.baton.Agent;
import dev.baton.Baton;
import dev.baton.cli.probe.EmbeddedProbe;
import dev.baton.cli.probe.ProbeReport;
import dev.baton.config.BatonConfig;
import dev.baton.config.ChannelsConfig;
import dev.baton.config.ConcurrencyConfig;
import dev.baton.config.ServerConfig;
import dev.baton.config.StorageConfig;
import dev.baton.spi.AgentProvider;
import dev.baton.spi.ReplyHandler;
import dev.baton.spi.Scheduler;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/*
 * Overview: the default demo is `baton probe` driving an engine in this process. The probe's workload (many
 * users, each message with its sender's nonce, redeliveries — some at the same instant —, swapped neighbours,
 * bursts) reaches the engine over HTTP through a gateway started on 127.0.0.1 (JWT-signed POST /v1/messages,
 * long-polled replies), or by Baton.submit in process; the probe's checks judge what came back (duplicates,
 * interleaving, shared state, deadlock, order) exactly as they judge any bot with `baton probe`. What only the
 * inside of a turn shows — turns at once (P3), the bound context (P7), state and transcript ownership (P1), a
 * message run twice (P2) — is judged by InsideView around the agent. The report maps both onto the promises.
 *
 * Concurrency: the probe runs its senders and readers on virtual threads; this thread waits for it. Every wait
 * inside the probe is bounded by its reply timeout, so a lost message shows up as a P4 violation, not a hang.
 */
public final class SessionsScenario implements Scenario {

  /** One in this many users is slow (a turn takes queue_timeout_ms / 5), so its queue fills, overflows and expires. */
  static final int SLOW_EVERY = 20;

  private final Function<BatonConfig, Agent> agents;
  private final boolean builtInAgent;
  private final UnaryOperator<ReplyHandler> replyPath;

  /** Runs the agent named by {@code agent.type} (the context agent in the demo's configuration). */
  public SessionsScenario() {
    this(SessionsScenario::agentFor, true, r -> r);
  }

  /** Runs the given agent, judged at probe level echo (tests plant bugs in agents to show they are caught). */
  SessionsScenario(Function<BatonConfig, Agent> agents) {
    this(agents, false, r -> r);
  }

  /**
   * @param builtInAgent whether the agent is the one named by {@code agent.type}: then the probe level follows it
   *     ({@code context} for the context agent), else {@code echo}
   * @param replyPath what the engine hands its replies to, given the probe's or the gateway's handler (tests plant
   *     delivery faults here)
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
    return "the probe's workload against the context agent: duplicates, reordering, bursts (P1 P2 P3 P4 P7 P9)";
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

  /** The probe's rate for {@code total} messages: about three seconds of sending, within 300–1,500/s. */
  static double rate(long total) {
    return Math.max(300, Math.min(1_500, total / 3.0));
  }

  private DemoReport run(DemoOptions options, BatonConfig config, Progress progress) throws InterruptedException {
    boolean overHttp = options.transport() == DemoOptions.Transport.HTTP;
    ConcurrencyConfig cc = config.agent().concurrency();
    String channel = overHttp ? "api" : DemoMessages.CHANNEL;
    boolean reruns = cc.maxConcurrentPerSession() > 1 || cc.queueMode() == ConcurrencyConfig.QueueMode.INTERRUPT;
    Duration work = Duration.ofMillis(options.turnMillis());
    Duration slowWork = Duration.ofMillis(Math.max(1, cc.queueTimeoutMs() / 5));
    InsideView inside = new InsideView(agents.apply(config), cc.maxConcurrentPerSession(), cc.maxConcurrentTotal(),
        reruns, channel, config.sessions().idSource(), u -> slow(u) ? slowWork : work);
    long total = (long) options.users() * options.messages();
    if (total > Integer.MAX_VALUE) throw new IllegalArgumentException("--users x --messages is too large");
    String level = builtInAgent && config.agent().type().equals("context") ? "context" : "echo";
    Duration replyTimeout = Duration.ofMillis(cc.queueTimeoutMs() + config.agent().turnTimeoutMs()
        + config.ordering().gapTimeoutMs() + 1_000); // queued at most this long, run at most that long
    EmbeddedProbe.Workload w = new EmbeddedProbe.Workload(options.users(), (int) total, rate(total), options.seed(),
        level, 0, replyTimeout, true); // with seq: the engine's ordering gate runs (gaps, late arrivals)
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    java.util.function.BiConsumer<Integer, Integer> bar = (sent, planned) -> progress.update(sent, planned);

    long start = System.nanoTime();
    ProbeReport probe;
    if (overHttp) {
      String secret = randomSecret();
      ServerConfig s = config.server();
      BatonConfig cfg = config
          .withServer(new ServerConfig("127.0.0.1", 0, s.maxBodyBytes(), s.maxHeaderBytes(), s.requestTimeoutMs(),
              s.idleTimeoutMs(), s.shutdownDrainMs()))
          .withChannels(config.channels().withApi(new ChannelsConfig.ApiChannelConfig(true,
              ChannelsConfig.JwtConfig.hs256(secret), Math.max(1000, config.channels().api().replyBuffer()),
              config.channels().api().chats())));
      HELIDON_LOG.setLevel(java.util.logging.Level.WARNING);
      try (InProcessNode node = InProcessNode.start(cfg, inside, Scheduler.system(), meters, replyPath)) {
        probe = EmbeddedProbe.overApi(w, URI.create("http://127.0.0.1:" + node.port()), secret, bar);
      }
    } else {
      BatonConfig cfg = config;
      probe = EmbeddedProbe.inProcess(w, handler -> Baton.builder().config(cfg).agent(inside)
          .replies(replyPath.apply(handler)).meterRegistry(meters).build(), channel, bar);
    }
    progress.finish(total, total);
    double seconds = (System.nanoTime() - start) / 1e9;
    return report(options, cc, overHttp, inside, probe, meters, seconds);
  }

  /** Helidon logs through java.util.logging at INFO; the demo keeps it at WARNING (held: JUL refs are weak). */
  private static final java.util.logging.Logger HELIDON_LOG = java.util.logging.Logger.getLogger("io.helidon");

  static boolean slow(String user) {
    try {
      return user.startsWith("u") && Integer.parseInt(user.substring(1)) % SLOW_EVERY == 0;
    } catch (NumberFormatException e) {
      return false;
    }
  }

  /**
   * The promises, from both views: P1 = the inside's ownership checks + the probe's interleaving and shared
   * state; P2 = a message run twice + the probe's duplicates; P3 and P7 from inside; P4 = the probe's deadlock
   * (and a target it could not drive); P9 = the probe's order; over HTTP also the statuses the gateway answered.
   */
  private DemoReport report(DemoOptions options, ConcurrencyConfig cc, boolean overHttp, InsideView inside,
      ProbeReport probe, SimpleMeterRegistry meters, double seconds) {
    Tally p4 = new Tally("P4", "bounded waits: every accepted message ends processed or expired");
    Tally p9 = new Tally("P9", "order: a session's messages run, and its replies arrive, in order");
    Tally http = new Tally("HTTP", "the HTTP path: valid requests get 202/200/429/409");
    addPattern(inside.p1, probe, "interleaving");
    addPattern(inside.p1, probe, "shared_state");
    addPattern(inside.p2, probe, "duplicates");
    addPattern(p4, probe, "deadlock");
    addPattern(p9, probe, "order");
    if (!probe.problem().isEmpty()) p4.check(false, "the probe could not drive the engine: " + probe.problem());
    probe.statuses().forEach((status, n) -> {
      boolean expected = List.of("202", "200", "429", "409").contains(status);
      http.add(n, expected ? 0 : n, expected ? List.of() : List.of(n + " deliveries answered "
          + (status.equals("-1") ? "with no HTTP answer" : "HTTP " + status)));
    });
    Map<String, DemoReport.PromiseResult> promises = new LinkedHashMap<>();
    for (Tally t : List.of(inside.p1, inside.p2, inside.p3, p4, inside.p7, p9)) promises.put(t.promise, t.result());
    if (overHttp) promises.put(http.promise, http.result());

    Map<String, Long> counts = new LinkedHashMap<>();
    counts.put("sent", (long) options.users() * options.messages());
    counts.put("deliveries", probe.throughput().sent());
    probe.answers().forEach((k, v) -> counts.put(k.equals("duplicate") ? "answered_duplicate" : k, v));
    counts.put("processed", inside.processed());
    counts.put(cc.maxConcurrentPerSession() > 1 || cc.queueMode() == ConcurrencyConfig.QueueMode.INTERRUPT
        ? "turn_reruns" : "duplicates_processed", inside.extraRuns());
    counts.put("replies", java.util.Objects.requireNonNull(probe.latencyMs().get("reply"), "reply latencies").count());
    counts.put("notices", java.util.Objects.requireNonNull(probe.latencyMs().get("notice"), "notice latencies").count());
    Map<String, Object> load = new LinkedHashMap<>();
    load.put("users", options.users());
    load.put("messages_per_user", options.messages());
    load.put("rate_per_s", rate(counts.get("sent")));
    load.put("slow_users", java.util.stream.IntStream.rangeClosed(1, options.users())
        .filter(i -> i % SLOW_EVERY == 0).count());
    load.put("peak_running_turns", inside.peakRunning());
    load.put("max_concurrent_total", cc.maxConcurrentTotal());
    load.put("peak_turns_in_one_session", inside.peakSessionRunning());
    load.put("max_concurrent_per_session", cc.maxConcurrentPerSession());
    load.put("max_queue_per_session", cc.maxQueuePerSession());
    Map<String, Long> engine = new TreeMap<>(); // the engine's own counters, shown beside what was observed
    for (Meter m : meters.getMeters()) {
      if (m instanceof Counter c) engine.put(m.getId().getName(), (long) c.count());
    }
    Map<String, Object> httpFigures = new LinkedHashMap<>();
    if (overHttp) {
      httpFigures.put("statuses", probe.statuses());
      ProbeReport.Latency r = probe.latencyMs().get("reply");
      httpFigures.put("reply_latency_ms", Map.of("p50", r.p50(), "p99", r.p99(), "max", r.max()));
    }
    return new DemoReport(name(), options.seed(), DemoReport.passed(promises), promises, counts, load, engine,
        DemoReport.percentilesMs(inside.queueWaitsNanos()), seconds, probe.throughput().sentPerSecond(),
        overHttp ? "http" : "inprocess", httpFigures, Map.of(), probe);
  }

  /** Adds one of the probe's patterns to a promise's tally, with its evidence. */
  private static void addPattern(Tally tally, ProbeReport probe, String pattern) {
    ProbeReport.PatternResult r = probe.patterns().get(pattern);
    if (r == null || r.checked() < 0) return;
    tally.add(r.checked(), r.violations(), r.examples().stream().map(e -> String.format(Locale.ROOT,
        "%s: %s of %s at %.3f s: %s", pattern, e.message(), e.user(), e.atSeconds(), e.detail())).toList());
  }

  private static String randomSecret() {
    byte[] b = new byte[32];
    new SecureRandom().nextBytes(b);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  private static void deleteQuietly(Path dir) {
    try (var files = Files.walk(dir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    } catch (IOException e) {
      // a temporary directory left behind is harmless
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
