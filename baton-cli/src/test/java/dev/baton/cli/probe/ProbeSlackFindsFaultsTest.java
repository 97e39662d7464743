package dev.baton.cli.probe;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.examples.naivebot.NaiveBot;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The proof of {@code baton probe --protocol slack}: the naive bot (examples/naive-bot) as a Slack app — signed
 * Events API webhooks in, replies by {@code chat.postMessage} to the probe's stand-in Web API — with each fault
 * alone is found as that fault's pattern (exit 1), and with no fault nothing is found at level ledger (exit 0).
 * A wrong signing secret is exit 2 with the sentence that says so.
 */
class ProbeSlackFindsFaultsTest {

  static final String SIGNING_SECRET = "probe-signing-secret-0123456789abcdef";

  static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> faults() {
    return ProbeFindsFaultsTest.faults();
  }

  @ParameterizedTest(name = "slack {0} -> {1}")
  @MethodSource("faults")
  void findsEachFaultsPatternOverSlack(String fault, String pattern) throws Exception {
    AtomicReference<NaiveBot> bot = new AtomicReference<>();
    ProbeOptions o = new ProbeOptions();
    o.protocol = ProbeOptions.Protocol.SLACK;
    o.webhookSecret = SIGNING_SECRET;
    o.level = ProbeOptions.Level.LEDGER;
    o.users = 10;
    o.messages = 200;
    o.rate = 400;
    o.seed = 3;
    o.replyTimeout = Duration.ofSeconds(pattern.isEmpty() ? 10 : 3);
    o.progress = false;
    o.platformReady = platform -> {
      try {
        NaiveBot b = NaiveBot.start(0, ProbeFindsFaultsTest.SECRET, NaiveBot.Fault.parse(fault), 2, null, "",
            platform, SIGNING_SECRET, "xoxb-probe");
        bot.set(b);
        o.target = URI.create("http://127.0.0.1:" + b.port() + "/webhooks/slack");
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    };
    try {
      ProbeReport report = new ProbeRun(o, new PrintWriter(new StringWriter())).run();
      StringWriter table = new StringWriter();
      report.print(new PrintWriter(table));
      if (pattern.isEmpty()) {
        assertThat(report.exitCode()).as(table.toString()).isZero();
        for (String p : ProbeFindsFaultsTest.PATTERNS) {
          assertThat(report.patterns().get(p).checked()).as(p + "\n" + table).isPositive();
        }
        assertThat(report.throughput().replies()).as(table.toString()).isGreaterThan(150);
      } else {
        assertThat(report.exitCode()).as(table.toString()).isEqualTo(1);
        assertThat(report.patterns().get(pattern).violations()).as(table.toString()).isPositive();
        assertThat(report.patterns().get(pattern).examples()).isNotEmpty();
      }
    } finally {
      if (bot.get() != null) bot.get().close();
    }
  }

  @Test
  void aWrongSigningSecretIsExit2AndSaysSo() throws Exception {
    int platformPort;
    try (ServerSocket s = new ServerSocket(0)) {
      platformPort = s.getLocalPort();
    }
    try (NaiveBot bot = NaiveBot.start(0, ProbeFindsFaultsTest.SECRET, NaiveBot.Fault.NONE, 2, null, "",
        URI.create("http://127.0.0.1:" + platformPort + "/api"), "the-bot's-own-signing-secret-0123456789", "x")) {
      ProbeExitTest.Run r = ProbeExitTest.probe("--protocol", "slack", "--target",
          "http://127.0.0.1:" + bot.port() + "/webhooks/slack", "--webhook-secret", SIGNING_SECRET,
          "--platform-port", Integer.toString(platformPort), "--users", "3", "--messages", "40", "--rate", "1000",
          "--quiet", "--reply-timeout", "1000");
      assertThat(r.exit()).as(r.out() + r.err()).isEqualTo(2);
      assertThat(r.out()).contains("401/403", "--webhook-secret", "signing secret");
    }
  }

  @Test
  void hostileUsersAreRefusedOverSlack() {
    ProbeExitTest.Run r = ProbeExitTest.probe("--target", "http://127.0.0.1:1/webhooks/slack", "--protocol",
        "slack", "--webhook-secret", SIGNING_SECRET, "--hostile", "2");
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("--hostile applies to --protocol api");
  }
}
