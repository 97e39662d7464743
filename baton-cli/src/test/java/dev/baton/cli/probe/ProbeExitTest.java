package dev.baton.cli.probe;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.cli.Main;
import dev.baton.examples.naivebot.NaiveBot;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Exit 2 with one clear sentence when the target cannot be driven; bad flags are refused before any send. */
class ProbeExitTest {

  static final String SECRET = "probe-test-secret-0123456789abcdef";

  record Run(int exit, String out, String err) {}

  static Run probe(String... args) {
    CommandLine cl = Main.commandLine();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    String[] all = new String[args.length + 1];
    all[0] = "probe";
    System.arraycopy(args, 0, all, 1, args.length);
    return new Run(cl.execute(all), out.toString(), err.toString());
  }

  @Test
  void nothingListeningAtTheTargetIsExit2() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Run r = probe("--target", "http://127.0.0.1:" + port, "--jwt-secret", SECRET, "--users", "3", "--messages",
        "40", "--rate", "1000", "--quiet", "--reply-timeout", "1000");
    assertThat(r.exit()).as(r.out()).isEqualTo(2);
    assertThat(r.out()).contains("could not drive the target", "is the target running there?");
  }

  @Test
  void aWrongSecretIsExit2AndSaysSo() throws Exception {
    try (NaiveBot bot = NaiveBot.start(0, "another-secret-0123456789abcdef-xyz", NaiveBot.Fault.NONE)) {
      Run r = probe("--target", "http://127.0.0.1:" + bot.port(), "--jwt-secret", SECRET, "--users", "3",
          "--messages", "40", "--rate", "1000", "--quiet", "--reply-timeout", "1000");
      assertThat(r.exit()).as(r.out()).isEqualTo(2);
      assertThat(r.out()).contains("401", "--jwt-secret");
    }
  }

  @Test
  void repliesOverEventsFromATargetWithoutThemIsExit2() throws Exception {
    try (NaiveBot bot = NaiveBot.start(0, SECRET, NaiveBot.Fault.NONE)) {
      Run r = probe("--target", "http://127.0.0.1:" + bot.port(), "--jwt-secret", SECRET, "--replies", "events",
          "--users", "3", "--messages", "40", "--rate", "1000", "--quiet", "--reply-timeout", "1000");
      assertThat(r.exit()).as(r.out()).isEqualTo(2);
      assertThat(r.out()).contains("could not drive the target: the target answered 404 to GET /v1/events: it "
          + "serves no event stream, so --replies events cannot read its replies (use --replies poll)");
    }
  }

  @Test
  void aTakenPlatformPortIsExit2AndLeavesNothingRunning() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
      long clientsBefore = selectorThreads();
      Run r = probe("--target", "http://127.0.0.1:1/webhooks/telegram", "--protocol", "telegram",
          "--webhook-secret", "s3cret", "--platform-port", Integer.toString(taken.getLocalPort()), "--quiet");
      assertThat(r.exit()).isEqualTo(2);
      assertThat(selectorThreads()).as("no HTTP client was left running").isLessThanOrEqualTo(clientsBefore);
      assertThat(r.err()).contains("cannot listen on --platform-port " + taken.getLocalPort(),
          "Choose a free port with --platform-port");
    }
  }

  /** Live selector threads of java.net.http clients (one per client that was built and not shut down). */
  private static long selectorThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.isAlive() && t.getName().contains("SelectorManager")).count();
  }

  @Test
  void badFlagsAreRefusedWithAMessage() {
    assertThat(probe("--target", "ftp://x", "--jwt-secret", SECRET).err()).contains("http:// or https://");
    assertThat(probe("--target", "http://127.0.0.1:1", "--jwt-secret", SECRET, "--level", "nope").exit())
        .isEqualTo(2);
    Run shortSecret = probe("--target", "http://127.0.0.1:1", "--jwt-secret", "short", "--quiet");
    assertThat(shortSecret.exit()).isEqualTo(2);
    assertThat(shortSecret.err()).contains("at least 32 bytes");
    assertThat(probe("--target", "http://127.0.0.1:1", "--protocol", "telegram", "--hostile", "2").err())
        .contains("--hostile applies to --protocol api");
    assertThat(probe("--target", "http://127.0.0.1:1", "--jwt-secret", SECRET, "--replies", "push").err())
        .contains("--replies must be poll or events");
    assertThat(probe("--target", "http://127.0.0.1:1", "--protocol", "telegram", "--replies", "events").err())
        .contains("--replies applies to --protocol api");
  }
}
