package dev.baton.cli.probe;

import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code baton probe}: a black-box load test and race detector for a chat agent running elsewhere. */
@Command(name = "probe", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Drive a running chat agent with many users at once and report the concurrency failures "
        + "it shows from outside: duplicates, interleaving, shared_state, tool_race, deadlock, order.",
        "Exit 0: nothing found; 1: a failure found; 2: the target could not be driven. See docs/probe.md."})
public final class ProbeCommand implements Callable<Integer> {

  @Option(names = "--target", paramLabel = "URL", required = true,
      description = "api: base URL of the agent's message API, e.g. http://127.0.0.1:8080; telegram, slack: its webhook "
          + "URL, e.g. http://127.0.0.1:8080/webhooks/telegram or .../webhooks/slack.")
  URI target;

  @Option(names = "--protocol", paramLabel = "P", defaultValue = "api",
      description = "How to talk to it: api (Baton's message API; default) telegram or slack (signed webhooks, "
          + "replies captured by a stand-in Bot API or Web API on --platform-port).")
  String protocol = "api";

  @Option(names = "--replies", paramLabel = "HOW", defaultValue = "poll",
      description = "api: read replies by long poll on GET /v1/replies (poll; default) or from the server-sent "
          + "events of GET /v1/events (events).")
  String replies = "poll";

  @Option(names = "--webhook-secret", paramLabel = "S", description = "telegram: the webhook's secret token "
      + "(X-Telegram-Bot-Api-Secret-Token); slack: the app's signing secret (X-Slack-Signature). Default: "
      + "$BATON_PROBE_WEBHOOK_SECRET.")
  Optional<String> webhookSecret = Optional.empty();

  @Option(names = "--platform-port", paramLabel = "PORT", defaultValue = "8081",
      description = "telegram, slack: the port of the stand-in Bot API (telegram: "
          + "http://127.0.0.1:PORT) or Web API (slack: http://127.0.0.1:PORT/api) the bot is pointed at as its API "
          + "base URL (default: ${DEFAULT-VALUE}).")
  int platformPort = 8081;

  @Option(names = "--jwt-secret", paramLabel = "S", description = "HS256 secret the target verifies tokens with "
      + "(at least 32 bytes). Default: $BATON_PROBE_JWT_SECRET.")
  Optional<String> jwtSecret = Optional.empty();

  @Option(names = "--level", paramLabel = "L", defaultValue = "context",
      description = "The probe contract level the target follows: echo, context (default) or ledger.")
  String level = "context";

  @Option(names = "--users", paramLabel = "N", defaultValue = "20", description = "Honest users (default: ${DEFAULT-VALUE}).")
  int users = 20;

  @Option(names = "--messages", paramLabel = "N", defaultValue = "400",
      description = "Messages in all (default: ${DEFAULT-VALUE}); --duration overrides.")
  int messages = 400;

  @Option(names = "--rate", paramLabel = "R", defaultValue = "200",
      description = "Messages per second, open loop (default: ${DEFAULT-VALUE}).")
  double rate = 200;

  @Option(names = "--duration", paramLabel = "SECONDS", description = "Run this long at --rate instead of --messages.")
  Optional<Double> duration = Optional.empty();

  @Option(names = "--seed", paramLabel = "N", defaultValue = "1", description = "Seed of the workload (default: ${DEFAULT-VALUE}).")
  long seed = 1;

  @Option(names = "--hostile", paramLabel = "N", defaultValue = "0",
      description = "Attacker users who try to reach the others' conversations and message ids (default: ${DEFAULT-VALUE}).")
  int hostile = 0;

  @Option(names = "--reply-timeout", paramLabel = "MS", defaultValue = "10000",
      description = "An accepted message with no reply or busy/error within this is stuck (default: ${DEFAULT-VALUE}).")
  long replyTimeoutMs = 10_000;

  @Option(names = "--json", paramLabel = "FILE", description = "Also write the report as JSON.")
  Optional<Path> json = Optional.empty();

  @Option(names = "--html", paramLabel = "FILE", description = "Also write the report as one self-contained HTML page.")
  Optional<Path> html = Optional.empty();

  @Option(names = "--seq", description = "Send each message's per-user sequence number as `seq` (Baton's order key, API"
      + " only); order is then also judged by it.")
  boolean seq;

  @Option(names = "--seq-hold", paramLabel = "MS", defaultValue = "1000", description = "With --seq: how long the target"
      + " holds a message behind a gap in seq (Baton: ordering.gap_timeout_ms, default 2000); a swapped pair taken"
      + " within it must be answered in seq order (default: ${DEFAULT-VALUE}).")
  long seqHoldMs = 1000;

  @Option(names = "--quiet", description = "No progress lines.")
  boolean quiet;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    ProbeOptions o = new ProbeOptions();
    switch (protocol) {
      case "api" -> o.protocol = ProbeOptions.Protocol.API;
      case "telegram" -> o.protocol = ProbeOptions.Protocol.TELEGRAM;
      case "slack" -> o.protocol = ProbeOptions.Protocol.SLACK;
      default -> {
        err.println("baton probe: --protocol must be api, telegram or slack");
        return 2;
      }
    }
    switch (replies) {
      case "poll" -> o.replies = ProbeOptions.Replies.POLL;
      case "events" -> o.replies = ProbeOptions.Replies.EVENTS;
      default -> {
        err.println("baton probe: --replies must be poll or events");
        return 2;
      }
    }
    if (o.protocol != ProbeOptions.Protocol.API && o.replies == ProbeOptions.Replies.EVENTS) {
      err.println("baton probe: --replies applies to --protocol api (a platform's replies reach its stand-in API)");
      return 2;
    }
    if (o.protocol != ProbeOptions.Protocol.API && hostile > 0) {
      err.println("baton probe: --hostile applies to --protocol api (on Telegram and Slack the platform vouches "
          + "for who sends what)");
      return 2;
    }
    o.webhookSecret = webhookSecret.orElse(
        Optional.ofNullable(System.getenv("BATON_PROBE_WEBHOOK_SECRET")).orElse(""));
    o.platformPort = platformPort;
    o.target = target;
    if (o.protocol == ProbeOptions.Protocol.API) {
      o.jwtSecret = jwtSecret.orElse(Optional.ofNullable(System.getenv("BATON_PROBE_JWT_SECRET")).orElse(""));
    }
    try {
      o.level = ProbeOptions.Level.valueOf(level.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      err.println("baton probe: --level must be echo, context or ledger");
      return 2;
    }
    if (users < 1 || messages < 1 || rate <= 0 || hostile < 0 || replyTimeoutMs < 1
        || duration.map(d -> d <= 0).orElse(false)) {
      err.println("baton probe: --users, --messages, --rate, --duration and --reply-timeout must be positive, "
          + "--hostile not negative");
      return 2;
    }
    String scheme = target.getScheme() == null ? "" : target.getScheme();
    if (!(scheme.equals("http") || scheme.equals("https")) || target.getHost() == null) {
      err.println("baton probe: --target must be an http:// or https:// URL");
      return 2;
    }
    o.users = users;
    o.rate = rate;
    o.messages = duration.map(d -> (int) Math.max(1, Math.round(d * rate))).orElse(messages);
    o.seed = seed;
    o.hostile = hostile;
    o.replyTimeout = Duration.ofMillis(replyTimeoutMs);
    o.progress = !quiet;
    if (seq && o.protocol != ProbeOptions.Protocol.API) {
      err.println("baton probe: --seq applies to --protocol api (the platforms order their updates themselves)");
      return 2;
    }
    o.sendSeq = seq;
    if (seqHoldMs < 0) {
      err.println("baton probe: --seq-hold must not be negative");
      return 2;
    }
    o.seqHold = Duration.ofMillis(seqHoldMs);
    ProbeReport report;
    try {
      report = new ProbeRun(o, err).run();
    } catch (IllegalArgumentException e) {
      err.println("baton probe: " + e.getMessage());
      return 2;
    }
    report.print(out);
    if (json.isPresent()) report.writeJson(json.get());
    if (html.isPresent()) java.nio.file.Files.writeString(html.get(), ProbeHtml.render(report));
    return report.exitCode();
  }
}
