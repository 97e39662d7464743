package dev.baton.mcp;

import static dev.baton.mcp.McpFixture.code;
import static dev.baton.mcp.McpFixture.until;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.config.McpConfig;
import dev.baton.spi.tool.ToolCall;
import dev.baton.spi.tool.ToolResult;
import dev.baton.spi.tool.ToolSpec;
import dev.baton.spi.tool.Tools;
import dev.baton.testing.TestThreads;
import dev.baton.tools.Access;
import dev.baton.tools.Resource;
import dev.baton.tools.Tool;
import dev.baton.tools.ToolContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * MCP tools of the example file server (a real process over stdio) through Baton's tool runtime: names and
 * schemas, locks from the config's rules (concurrent appends to one file serialised; without the rule they
 * overlap), idempotency keys (a repeat runs once at the server), a deadlock across an MCP call's locks and a
 * nested lock of another tool. One server process for the class.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class McpToolsThroughRuntimeTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private Path dir;
  private McpFixture f;
  private final CountDownLatch holdRelease = new CountDownLatch(1);
  private final CountDownLatch holding = new CountDownLatch(1);

  @BeforeAll
  void start(@TempDir Path tmp) {
    dir = tmp;
    f = new McpFixture(dir, srv -> srv.withResources(List.of(
        McpConfig.LockRule.exclusive("append_line", "file:{path}"),
        McpConfig.LockRule.exclusive("write_file", "file:{path}"),
        new McpConfig.LockRule("copy_file", "file:{from}", McpConfig.LockAccess.SHARED, ""),
        McpConfig.LockRule.exclusive("copy_file", "file:{to}"))), List.of(new HoldThenLock()), true);
  }

  @AfterAll
  void stop() {
    if (f != null) f.close();
  }

  @Test
  void theServersToolsAreBatonToolsWithTheirSchemas() throws Exception {
    List<String> names = f.tools.specs().stream().map(ToolSpec::name).toList();
    assertThat(names).contains("files.write_file", "files.read_file", "files.append_line", "files.bump",
        "files.hang", "test.hold");
    ToolSpec write = f.tools.specs().stream().filter(s -> s.name().equals("files.write_file")).findFirst().orElseThrow();
    assertThat(write.inputSchemaJson()).contains("\"path\"").contains("\"content\"").contains("\"object\"");
    Tools t = f.bind("alice");
    assertThat(t.available()).extracting(ToolSpec::name).contains("files.write_file");
    assertThat(code(t.call(ToolCall.of("files.write_file", "{\"path\":\"a/../hello.txt\",\"content\":\"hi\"}"))))
        .isEqualTo("ok");
    ToolResult read = t.call(ToolCall.of("files.read_file", "{\"path\":\"hello.txt\"}"));
    assertThat(((ToolResult.Ok) read).json()).isEqualTo("{\"text\":\"hi\"}");
  }

  @Test
  void concurrentAppendsToOneFileAreSerialisedByTheLockRule() throws Exception {
    // Spelled three ways: the lock is the canonical path, so all of them queue on one lock.
    String[] spellings = {"log.txt", "./log.txt", "x/../log.txt"};
    List<ToolResult> results = TestThreads.together(6, i -> () -> f.bind("u" + i).call(ToolCall.of(
        "files.append_line", "{\"path\":\"" + spellings[i % 3] + "\",\"line\":\"" + i + "\",\"delay_ms\":150}")));
    assertThat(results).allSatisfy(r -> assertThat(code(r)).isEqualTo("ok"));
    List<String> lines = Files.readAllLines(dir.resolve("files/log.txt"));
    assertThat(lines).hasSize(12);
    for (int i = 0; i < lines.size(); i += 2) { // begin n, end n, begin m, end m...: never interleaved
      assertThat(lines.get(i)).startsWith("begin ");
      assertThat(lines.get(i + 1)).isEqualTo("end " + lines.get(i).substring(6));
    }
    assertThat(stats().get("overlaps").asInt()).isZero();
  }

  @Test
  void withoutALockRuleTheSameAppendsOverlapAtTheServer() throws Exception {
    // The control for the test above: server `free` runs the same program without lock rules. Its calls do
    // overlap, so the rule (not the server, not the client) is what serialises them.
    List<ToolResult> results = TestThreads.together(4, i -> () -> f.bind("v" + i).call(ToolCall.of(
        "free.append_line", "{\"path\":\"log.txt\",\"line\":\"" + i + "\",\"delay_ms\":300}")));
    assertThat(results).allSatisfy(r -> assertThat(code(r)).isEqualTo("ok"));
    ToolResult r = f.bind("stats").call(ToolCall.of("free.stats", "{}"));
    assertThat(JSON.readTree(JSON.readTree(((ToolResult.Ok) r).json()).get("text").asText()).get("overlaps").asInt())
        .isPositive();
  }

  @Test
  void aRepeatedCallWithTheSameKeyRunsOnceAtTheServer() throws Exception {
    Tools t = f.bind("bob");
    ToolResult first = t.call(new ToolCall("files.bump", "{\"name\":\"once\"}", Optional.of("call-1")));
    ToolResult again = t.call(new ToolCall("files.bump", "{\"name\":\"once\"}", Optional.of("call-1")));
    assertThat(((ToolResult.Ok) first).json()).isEqualTo("{\"text\":\"1\"}");
    assertThat(again).isEqualTo(new ToolResult.Ok("{\"text\":\"1\"}", true));
    // Eight duplicates at once: one runs, seven wait for it and get its result.
    List<ToolResult> dups = TestThreads.together(8, i -> () -> f.bind("carol").call(
        new ToolCall("files.bump", "{\"name\":\"dup\"}", Optional.of("k"))));
    assertThat(dups).allSatisfy(r -> assertThat(((ToolResult.Ok) r).json()).isEqualTo("{\"text\":\"1\"}"));
    assertThat(stats().get("bumps").get("once").asInt()).isEqualTo(1);
    assertThat(stats().get("bumps").get("dup").asInt()).isEqualTo(1);
    // A new key is a new call.
    assertThat(((ToolResult.Ok) t.call(new ToolCall("files.bump", "{\"name\":\"once\"}", Optional.of("call-2"))))
        .json()).isEqualTo("{\"text\":\"2\"}");
  }

  @Test
  void aCycleThroughAnMcpCallsLocksIsADeadlockAndIsBroken() throws Exception {
    Files.writeString(dir.resolve("files").resolve("b.txt").toAbsolutePath(), "b", java.nio.charset.StandardCharsets.UTF_8,
        java.nio.file.StandardOpenOption.CREATE);
    try (TestThreads threads = new TestThreads()) {
      List<ToolResult> out = java.util.Collections.synchronizedList(new ArrayList<>());
      // test.hold takes file:b.txt, then (nested) file:a.txt; the MCP copy b -> a takes file:a.txt, then waits for b.
      threads.spawn("hold", () -> out.add(f.bind("h").call(ToolCall.of("test.hold", "{}"))));
      holding.await();
      long waits = f.lockWaits();
      threads.spawn("copy", () -> out.add(f.bind("c").call(ToolCall.of("files.copy_file",
          "{\"from\":\"b.txt\",\"to\":\"a.txt\"}"))));
      try {
        until("the copy waits for b.txt", () -> f.lockWaits() == waits + 1);
      } finally {
        holdRelease.countDown();
      }
      threads.joinAll(McpFixture.REAL_TIME_LIMIT);
      assertThat(out).extracting(McpFixture::code).containsExactlyInAnyOrder("deadlock", "ok");
    }
    assertThat(f.tools.recentDeadlocks()).isNotEmpty();
    assertThat(f.lockWaits()).isZero();
  }

  private JsonNode stats() throws Exception {
    ToolResult r = f.bind("stats").call(ToolCall.of("files.stats", "{}"));
    return JSON.readTree(JSON.readTree(((ToolResult.Ok) r).json()).get("text").asText());
  }

  /** A Baton tool that holds file:b.txt and then takes file:a.txt nested (the other side of the cycle). */
  private final class HoldThenLock implements Tool {
    public String name() {
      return "test.hold";
    }

    public String description() {
      return "holds b, then takes a";
    }

    public String inputSchema() {
      return "{\"type\":\"object\"}";
    }

    public List<Resource> resources(JsonNode args, ToolContext ctx) {
      return List.of(Resource.of("file", "b.txt", Access.EXCLUSIVE));
    }

    public JsonNode execute(JsonNode args, ToolContext ctx) throws Exception {
      holding.countDown();
      if (!holdRelease.await(20, java.util.concurrent.TimeUnit.SECONDS)) throw new IllegalStateException("not released");
      ctx.lock(Resource.of("file", "a.txt", Access.EXCLUSIVE));
      return ctx.json().objectNode().put("held", true);
    }
  }
}
