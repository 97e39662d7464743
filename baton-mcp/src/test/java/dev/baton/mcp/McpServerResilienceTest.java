package dev.baton.mcp;

import static dev.baton.mcp.McpFixture.code;
import static dev.baton.mcp.McpFixture.message;
import static dev.baton.mcp.McpFixture.until;
import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.mcp.internal.ServerConnection;
import dev.baton.spi.tool.ToolCall;
import dev.baton.spi.tool.ToolResult;
import dev.baton.testing.TestThreads;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real stdio MCP server that hangs, freezes or is killed: its calls end with clear errors, the server hears
 * the cancellation of a timed-out call, and a dead or hung server is restarted after the backoff (time on the
 * fixture's ManualScheduler) and serves the next call.
 */
class McpServerResilienceTest {
  @TempDir Path dir;
  private McpFixture f;

  @BeforeEach
  void start() {
    f = new McpFixture(dir, List.of(), List.of());
  }

  @AfterEach
  void stop() {
    f.close();
  }

  @Test
  void aHangingCallTimesOutAndTheServerIsToldToCancelIt() throws Exception {
    AtomicReference<ToolResult> result = new AtomicReference<>();
    try (TestThreads threads = new TestThreads()) {
      threads.spawn("hang", () -> result.set(f.bind("a").call(ToolCall.of("files.hang", "{}"))));
      until("the server runs the call", () -> events().contains("hang started"));
      assertThat(f.clock.awaitTaskDue(Duration.ZERO.plusMillis(McpFixture.CALL_TIMEOUT_MS), Duration.ofSeconds(10)))
          .isTrue();
      f.clock.advance(Duration.ofMillis(McpFixture.CALL_TIMEOUT_MS));
      threads.joinAll(McpFixture.REAL_TIME_LIMIT);
    }
    assertThat(code(result.get())).isEqualTo("timeout");
    until("the server got notifications/cancelled", () -> events().contains("cancelled"));
    assertThat(events()).containsPattern("cancelled .*\"requestId\"");
    // Only the call hung, not the server: it answers the ping (before its timeout, which then passes), nothing
    // is restarted, the next call runs.
    until("the server answered the ping", () -> !f.server().checking());
    f.clock.advance(Duration.ofMillis(McpFixture.PING_TIMEOUT_MS));
    assertThat(f.server().restarts()).isZero();
    assertThat(code(f.bind("a").call(ToolCall.of("files.bump", "{\"name\":\"n\"}")))).isEqualTo("ok");
  }

  @Test
  void aHungServerIsTimedOutPerCallThenStoppedAndRestarted() throws Exception {
    long pid = f.server().pid();
    assertThat(code(f.bind("a").call(ToolCall.of("files.freeze", "{}")))).isEqualTo("ok");
    AtomicReference<ToolResult> result = new AtomicReference<>();
    try (TestThreads threads = new TestThreads()) {
      threads.spawn("frozen", () -> result.set(f.bind("a").call(ToolCall.of("files.bump", "{\"name\":\"x\"}"))));
      assertThat(f.clock.awaitTaskDue(Duration.ofMillis(McpFixture.CALL_TIMEOUT_MS), Duration.ofSeconds(10))).isTrue();
      f.clock.advance(Duration.ofMillis(McpFixture.CALL_TIMEOUT_MS));
      threads.joinAll(McpFixture.REAL_TIME_LIMIT);
    }
    assertThat(code(result.get())).isEqualTo("timeout");
    // The timeout made Baton ping the server; a frozen server does not answer within ping_timeout_ms.
    assertThat(f.clock.awaitTaskDue(Duration.ofMillis(McpFixture.PING_TIMEOUT_MS), Duration.ofSeconds(10))).isTrue();
    f.clock.advance(Duration.ofMillis(McpFixture.PING_TIMEOUT_MS));
    until("the hung server is stopped", () -> ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true));
    ToolResult meanwhile = f.bind("a").call(ToolCall.of("files.bump", "{\"name\":\"x\"}"));
    assertThat(code(meanwhile)).isEqualTo("unavailable");
    assertThat(message(meanwhile)).contains("MCP server 'files'").contains("restarting");
    restartAfterBackoff(McpFixture.BACKOFF_MS);
    assertThat(f.server().pid()).isNotEqualTo(pid);
    assertThat(code(f.bind("a").call(ToolCall.of("files.bump", "{\"name\":\"x\"}")))).isEqualTo("ok");
  }

  @Test
  void aKilledServerEndsItsCallsWithAClearErrorAndIsRestartedWithBackoff() throws Exception {
    long pid = f.server().pid();
    AtomicReference<ToolResult> result = new AtomicReference<>();
    try (TestThreads threads = new TestThreads()) {
      threads.spawn("in flight", () -> result.set(f.bind("a").call(ToolCall.of("files.hang", "{}"))));
      until("the server runs the call", () -> events().contains("hang started"));
      ProcessHandle.of(pid).orElseThrow().destroyForcibly();
      threads.joinAll(McpFixture.REAL_TIME_LIMIT);
    }
    ToolResult.Failed failed = (ToolResult.Failed) result.get();
    assertThat(failed.code()).isEqualTo("unavailable");
    assertThat(failed.message()).startsWith("MCP server 'files' stopped (exit code ")
        .contains("restarts it").doesNotContain("Exception").doesNotContain("\tat ");
    // Restarted after restart_initial_backoff_ms, not before.
    restartAfterBackoff(McpFixture.BACKOFF_MS);
    long second = f.server().pid();
    assertThat(second).isNotEqualTo(pid);
    assertThat(code(f.bind("a").call(ToolCall.of("files.bump", "{\"name\":\"y\"}")))).isEqualTo("ok");
    assertThat(f.server().restarts()).isEqualTo(1);
    // Killed again soon after: the next restart waits twice as long (exponential backoff).
    ProcessHandle.of(second).orElseThrow().destroyForcibly();
    restartAfterBackoff(2 * McpFixture.BACKOFF_MS);
    assertThat(f.server().restarts()).isEqualTo(2);
  }

  @Test
  void backoffDoublesAndIsCapped() {
    assertThat(List.of(1, 2, 3, 4, 5, 6, 60).stream().map(n -> ServerConnection.backoffMs(n, 500, 4_000)).toList())
        .containsExactly(500L, 1_000L, 2_000L, 4_000L, 4_000L, 4_000L, 4_000L);
  }

  /** The restart is scheduled exactly {@code ms} ahead: not running 1 ms before, running after. */
  private void restartAfterBackoff(long ms) throws InterruptedException {
    assertThat(f.clock.awaitTaskDue(Duration.ofMillis(ms), Duration.ofSeconds(10))).isTrue();
    f.clock.advance(Duration.ofMillis(ms - 1));
    assertThat(f.server().running()).isFalse();
    f.clock.advance(Duration.ofMillis(1));
    until("the server is running again", () -> f.server().running());
  }

  private String events() {
    try {
      return f.events();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
