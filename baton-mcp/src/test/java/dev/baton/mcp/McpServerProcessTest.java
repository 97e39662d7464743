package dev.baton.mcp;

import static dev.baton.mcp.McpFixture.code;
import static dev.baton.mcp.McpFixture.message;
import static dev.baton.mcp.McpFixture.until;
import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.config.McpConfig;
import dev.baton.spi.tool.ToolCall;
import dev.baton.spi.tool.ToolResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a real stdio MCP server process can do to Baton, bounded: a huge output line, a huge result, a child
 * process that would outlive it, and what of Baton's environment it sees.
 */
class McpServerProcessTest {
  @TempDir Path dir;

  private McpFixture fixture(UnaryOperator<McpConfig.Server> server) {
    return new McpFixture(dir, server, List.of());
  }

  @Test
  void aMessageOverMaxMessageBytesStopsTheServerWithAClearErrorAndItIsRestarted() throws Exception {
    try (McpFixture f = fixture(s -> s.withLimits(64 * 1024, McpConfig.DEFAULT_MAX_RESULT_CHARS))) {
      long pid = f.server().pid();
      // Under the limit: passes.
      assertThat(code(f.bind("a").call(ToolCall.of("files.big", "{\"size\":10000}")))).isEqualTo("ok");
      ToolResult r = f.bind("a").call(ToolCall.of("files.big", "{\"size\":1000000}"));
      assertThat(code(r)).isEqualTo("unavailable");
      assertThat(message(r)).startsWith("MCP server 'files' wrote a message longer than max_message_bytes (65536"
          + " bytes)").contains("restarts it");
      until("the server is stopped", () -> ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true));
      assertThat(f.clock.awaitTaskDue(java.time.Duration.ofMillis(McpFixture.BACKOFF_MS),
          java.time.Duration.ofSeconds(10))).isTrue();
      f.clock.advance(java.time.Duration.ofMillis(McpFixture.BACKOFF_MS));
      until("the server is running again", () -> f.server().running());
      assertThat(f.server().pid()).isNotEqualTo(pid);
      assertThat(code(f.bind("a").call(ToolCall.of("files.bump", "{\"name\":\"n\"}")))).isEqualTo("ok");
    }
  }

  @Test
  void aResultOverMaxResultCharsIsCutWithAVisibleMarker() throws Exception {
    try (McpFixture f = fixture(s -> s.withLimits(McpConfig.DEFAULT_MAX_MESSAGE_BYTES, 1000))) {
      ToolResult r = f.bind("a").call(ToolCall.of("files.big", "{\"size\":5000}"));
      assertThat(code(r)).isEqualTo("ok");
      String json = message(r);
      assertThat(json).contains("x".repeat(1000) + "… [truncated 4000 chars]").doesNotContain("x".repeat(1001))
          .contains("\"truncated\":true");
      // One that fits is passed on whole.
      assertThat(message(f.bind("a").call(ToolCall.of("files.big", "{\"size\":1000}"))))
          .contains("x".repeat(1000)).doesNotContain("truncated");
    }
  }

  @Test
  void stoppingTheServerEndsItsChildProcessesToo() throws Exception {
    long child;
    try (McpFixture f = fixture(UnaryOperator.identity())) {
      ToolResult r = f.bind("a").call(ToolCall.of("files.spawn", "{}"));
      assertThat(code(r)).isEqualTo("ok");
      child = Long.parseLong(new com.fasterxml.jackson.databind.ObjectMapper().readTree(message(r)).get("text").asText());
      assertThat(alive(child)).isTrue();
    }
    until("the server's child process is gone", () -> !alive(child));
  }

  @Test
  void aServerSeesOnlyTheAllowedPartOfBatonsEnvironmentPlusItsOwnEnv() throws Exception {
    assertThat(System.getenv("BATON_MCP_TEST_SECRET")).as("set by surefire (baton-mcp/pom.xml)").isNotNull();
    try (McpFixture f = fixture(s -> s.withEnv(Map.of("FILES_MODE", "ro")))) {
      assertThat(env(f, "BATON_MCP_TEST_SECRET")).isEqualTo("<unset>");
      assertThat(env(f, "FILES_MODE")).isEqualTo("ro");
      if (System.getenv("PATH") != null) assertThat(env(f, "PATH")).isEqualTo(System.getenv("PATH"));
    }
  }

  @Test
  void inheritEnvGivesTheServerBatonsWholeEnvironment() throws Exception {
    try (McpFixture f = fixture(s -> s.withInheritEnv(true))) {
      assertThat(env(f, "BATON_MCP_TEST_SECRET")).isEqualTo("s3cret-from-baton");
    }
  }

  private static String env(McpFixture f, String name) throws Exception {
    ToolResult r = f.bind("a").call(ToolCall.of("files.env", "{\"name\":\"" + name + "\"}"));
    assertThat(code(r)).as(message(r)).isEqualTo("ok");
    return new com.fasterxml.jackson.databind.ObjectMapper().readTree(message(r)).get("text").asText();
  }

  /** Alive and not a zombie (a killed orphan may wait for a reaper that a container does not run). */
  private static boolean alive(long pid) {
    if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
      try {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        return !stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z");
      } catch (java.io.IOException e) {
        return false; // gone meanwhile
      }
    }
    return false;
  }
}
