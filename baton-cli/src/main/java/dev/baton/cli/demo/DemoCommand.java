package dev.baton.cli.demo;

import dev.baton.config.BatonConfig;
import dev.baton.config.ConfigLoader;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code baton demo}: runs a scenario — by default the sessions scenario over HTTP, through a gateway started
 * in process — and prints which promises were checked and kept. Exit code 0 only when no promise was violated.
 */
@Command(name = "demo", mixinStandardHelpOptions = true, sortOptions = false,
    versionProvider = dev.baton.cli.VersionProvider.class,
    description = "Run the engine with simulated users and check every promise (exit 0: none violated).",
    footer = {"", "Duplicates (some concurrent), reordering and bursts are injected; the report says, for each"
        + " promise, how often it was checked and violated. See docs/demo.md."})
public final class DemoCommand implements Callable<Integer> {

  /** The scenarios {@code --scenario} can pick; the first is the default. Add new ones here. */
  static final List<Scenario> SCENARIOS = List.of(new SessionsScenario(), new ToolsScenario(),
      new HostileScenario(), new LiveScenario(), new FlowScenario());

  @Option(names = "--users", paramLabel = "N", defaultValue = "200", description = "Simulated users (default: ${DEFAULT-VALUE}).")
  int users;

  @Option(names = "--messages", paramLabel = "N", defaultValue = "50", description = "Messages per user (default: ${DEFAULT-VALUE}).")
  int messages;

  @Option(names = "--seed", paramLabel = "N", description = "Seed of the random choices (default: a new one, printed in the report).")
  Optional<Long> seed = Optional.empty();

  @Option(names = "--turn-ms", paramLabel = "MS", defaultValue = "2", description = "Simulated agent work per turn, ms (default: ${DEFAULT-VALUE}).")
  int turnMillis;

  @Option(names = "--scenario", paramLabel = "NAME", defaultValue = AllScenarios.NAME, description = "Which scenario:"
      + " ${COMPLETION-CANDIDATES} (default: all = sessions, then tools, hostile, live and flow).",
      completionCandidates = ScenarioNames.class)
  String scenario;

  @Option(names = "--config", paramLabel = "FILE", description = "Engine configuration (default: the demo's own,"
      + " with a small max_queue_per_session so bursts overflow).")
  Optional<Path> config = Optional.empty();

  @Option(names = "--transport", paramLabel = "HOW", description = "How the simulated users reach the engine: http"
      + " (a gateway started in process on 127.0.0.1, JWT-signed requests, long-polled replies; the default of the"
      + " sessions scenario) or inprocess (Baton.submit).")
  Optional<String> transport = Optional.empty();

  @Option(names = "--store", paramLabel = "KIND", description = "The engine's store: memory or sqlite (a temporary"
      + " file, deleted afterwards); default: storage of the configuration (memory for the demo's own).")
  Optional<String> store = Optional.empty();

  @Option(names = "--json", paramLabel = "FILE", description = "Also write the report as JSON to FILE.")
  Optional<Path> json = Optional.empty();

  @Option(names = "--html", paramLabel = "FILE", description = "Also write the probe's report of the sessions scenario"
      + " as one self-contained HTML page (as baton probe --html does).")
  Optional<Path> html = Optional.empty();

  @Option(names = "--log", paramLabel = "FILE", description = "Where the engine's log goes while the demo runs (the"
      + " gaps, expiries and refused attacks it provokes); default: a new file in the temporary directory.")
  Optional<Path> log = Optional.empty();

  @Option(names = "--no-progress", description = "Do not show progress.")
  boolean noProgress;

  @Override
  public Integer call() throws Exception {
    Path logFile = log.isPresent() ? log.get() : java.nio.file.Files.createTempFile("baton-demo-", ".log");
    Optional<DemoLog> engineLog = DemoLog.open(logFile);
    try {
      return runScenarios(engineLog);
    } finally {
      engineLog.ifPresent(l -> {
        l.close();
        System.out.println("  " + l.summary());
      });
    }
  }

  private int runScenarios(Optional<DemoLog> engineLog) throws Exception {
    if (scenario.equals(AllScenarios.NAME)) return runAll(engineLog);
    Scenario s = SCENARIOS.stream().filter(x -> x.name().equals(scenario)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("unknown scenario '" + scenario + "'; choose one of "
            + SCENARIOS.stream().map(Scenario::name).collect(Collectors.joining(", "))));
    DemoReport report = run(s, transport);
    if (json.isPresent()) report.writeJson(json.get());
    writeHtml(report);
    return report.passed() ? 0 : 1;
  }

  /**
   * Sessions (over the chosen transport, HTTP by default), then tools in process, hostile (over HTTP), live
   * (in process) and flow (in process, on a virtual clock); exit 0 only if all five pass.
   */
  private int runAll(Optional<DemoLog> engineLog) throws Exception {
    DemoReport sessions = run(new SessionsScenario(), transport);
    writeHtml(sessions);
    DemoReport tools = run(new ToolsScenario(), Optional.empty()); // in process: its checks sit in the tools
    DemoReport hostile = run(new HostileScenario(), Optional.empty()); // always over HTTP: attacks on the gateway
    DemoReport live = run(new LiveScenario(), Optional.empty()); // in process: its checks sit at the reply handler
    DemoReport flow = run(new FlowScenario(), Optional.empty()); // in process: a virtual clock drives it
    if (json.isPresent()) AllScenarios.writeJson(sessions, tools, hostile, live, flow, engineLog, json.get());
    boolean passed = AllScenarios.passed(List.of(sessions, tools, hostile, live, flow));
    System.out.printf("%nbaton demo: %s%n", passed ? "every promise kept in all five scenarios"
        : "PROMISES VIOLATED");
    return passed ? 0 : 1;
  }

  /** The probe's page of the sessions scenario, when {@code --html} asks for it. */
  private void writeHtml(DemoReport report) throws IOException {
    if (html.isPresent() && report.probe() != null) {
      java.nio.file.Files.writeString(html.get(), dev.baton.cli.probe.ProbeHtml.render(report.probe()));
    }
  }

  private DemoReport run(Scenario s, Optional<String> transport) throws Exception {
    BatonConfig cfg = config.isPresent() ? ConfigLoader.withSystemEnvironment().load(config.get()) : demoConfig();
    DemoOptions.Transport how = transport.map(t -> parse(DemoOptions.Transport.class, "--transport", t))
        .orElse(s instanceof ToolsScenario || s instanceof LiveScenario || s instanceof FlowScenario ? DemoOptions.Transport.INPROCESS : DemoOptions.Transport.HTTP);
    if (how == DemoOptions.Transport.INPROCESS && s instanceof HostileScenario) {
      throw new IllegalArgumentException("scenario 'hostile' attacks the HTTP gateway: it runs over HTTP only");
    }
    if (how == DemoOptions.Transport.HTTP && (s instanceof ToolsScenario || s instanceof LiveScenario
        || s instanceof FlowScenario)) {
      throw new IllegalArgumentException("scenario '" + s.name() + "' runs in process only (--transport inprocess)");
    }
    DemoOptions.DemoStore kind = store.map(k -> parse(DemoOptions.DemoStore.class, "--store", k))
        .orElse(DemoOptions.DemoStore.CONFIGURED);
    DemoOptions options = new DemoOptions(users, messages, seed.orElseGet(() -> ThreadLocalRandom.current().nextLong(1, 1_000_000)),
        turnMillis, cfg, how, kind);
    PrintStream err = System.err;
    Progress progress = noProgress ? Progress.none() : stderrIsTerminal() ? Progress.bar(err) : Progress.lines(err);
    if (s instanceof HostileScenario) {
      err.printf("baton demo: %s over HTTP, attackers beside honest users on five gateways%n", s.name());
    } else if (s instanceof LiveScenario) {
      err.printf("baton demo: %s in process, %d users streaming, steering and cancelling (queue mode steer), beside"
          + " a gateway with Telegram groups and HTTP cancels%n",
          s.name(), Math.max(LiveScenario.Role.values().length, Math.min(users, LiveScenario.MAX_USERS)));
    } else if (s instanceof FlowScenario) {
      err.printf("baton demo: %s in process on a virtual clock: provider %d/min against a rate-limited stub, a 429"
          + " backoff, a three-agent ask loop, one flooding user beside %d honest ones%n", s.name(), FlowScenario.RPM,
          FlowScenario.HONEST_USERS);
    } else {
      err.printf("baton demo: %s over %s, %d users x %d messages, seed %d%n", s.name(),
          how == DemoOptions.Transport.HTTP ? "HTTP" : "in-process calls", users, messages, options.seed());
    }
    DemoReport report = s.run(options, progress);
    report.print(System.out);
    return report;
  }

  private static <E extends Enum<E>> E parse(Class<E> type, String option, String value) {
    for (E e : type.getEnumConstants()) {
      if (e.name().equalsIgnoreCase(value) && !e.name().equals("CONFIGURED")) return e;
    }
    throw new IllegalArgumentException(option + " must be one of " + java.util.Arrays.stream(type.getEnumConstants())
        .map(e -> e.name().toLowerCase(java.util.Locale.ROOT)).filter(n -> !n.equals("configured"))
        .collect(Collectors.joining(", ")) + ", was '" + value + "'");
  }

  /** The demo's configuration, loaded like any baton.yaml (from the classpath). */
  static BatonConfig demoConfig() throws IOException {
    try (InputStream in = DemoCommand.class.getResourceAsStream("demo.yaml")) {
      if (in == null) throw new IllegalStateException("demo.yaml is missing from the jar");
      return new ConfigLoader(System.getenv()).parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), "demo.yaml");
    }
  }

  /** {@code ./baton} passes whether stderr is a terminal ({@code [ -t 2 ]}); the JDK cannot tell for stderr. */
  private static boolean stderrIsTerminal() {
    String flag = System.getProperty("baton.stderr.tty");
    if (flag != null) return Boolean.parseBoolean(flag);
    return System.console() != null && System.console().isTerminal();
  }

  static final class ScenarioNames implements Iterable<String> {
    @Override
    public java.util.Iterator<String> iterator() {
      return SCENARIOS.stream().map(Scenario::name).iterator();
    }
  }
}
