package dev.baton.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class MainTest {

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    CommandLine cl = Main.commandLine();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    return cl.execute(args);
  }

  @Test
  void versionNamesBatonAndJava() {
    assertThat(run("--version")).isZero();
    assertThat(out.toString()).startsWith("baton 0.").contains("Java 25");
  }

  @Test
  void helpListsTheSubcommands() {
    assertThat(run("--help")).isZero();
    assertThat(out.toString()).contains("demo", "config", "--version");
  }

  @Test
  void configCheckPrintsOkForAValidFile(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("baton.yaml");
    Files.writeString(f, "agent:\n  concurrency:\n    max_concurrent_total: 10\n");
    assertThat(run("config", "check", f.toString())).isZero();
    assertThat(out.toString().strip()).isEqualTo("ok");
  }

  @Test
  void configCheckPrintsEveryErrorWithItsPlaceAndExitsOne(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("baton.yaml");
    Files.writeString(f, "agent:\n  concurrency:\n    max_concurent_total: 10\n    queue_timeout_ms: -1\n");
    assertThat(run("config", "check", f.toString())).isEqualTo(1);
    assertThat(err.toString()).contains(
        f + ":3:5: unknown key `max_concurent_total` in `agent.concurrency`; did you mean `max_concurrent_total`?",
        f + ":4:23: `agent.concurrency.queue_timeout_ms` must be a positive number, was -1.", "2 errors");
    assertThat(err.toString()).doesNotContain("Exception", "\tat ");
  }

  @Test
  void configCheckOfAMissingFileIsOneLine(@TempDir Path dir) {
    assertThat(run("config", "check", dir.resolve("nope.yaml").toString())).isEqualTo(1);
    assertThat(err.toString()).contains("nope.yaml:1:1: the file does not exist").doesNotContain("\tat ");
  }

  @Test
  void configKeysPrintsTheTable() {
    assertThat(run("config", "keys")).isZero();
    assertThat(out.toString()).contains("| `agent.concurrency.max_concurrent_total` | int | `50` |");
  }

  @Test
  void badUsageExitsTwoWithoutAStackTrace() {
    assertThat(run("nonsense")).isEqualTo(2);
    assertThat(err.toString()).contains("Unmatched argument").doesNotContain("\tat ");
    assertThat(run("demo", "--users", "many")).isEqualTo(2);
  }

  @Test
  void aFailingCommandPrintsOneLine() {
    assertThat(run("demo", "--users", "0")).isEqualTo(1);
    assertThat(err.toString()).contains("baton: --users must be at least 1, was 0").doesNotContain("\tat ");
  }
}
