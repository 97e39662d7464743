package dev.baton.tools;

import static dev.baton.tools.Fixture.call;
import dev.baton.testing.MapSessionState;
import static dev.baton.tools.Fixture.code;
import static dev.baton.tools.Fixture.json;
import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.BatonContext;
import dev.baton.spi.tool.ToolResult;
import dev.baton.spi.tool.Tools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The built-in session-scoped tools, path checks, parallel calls of one turn. */
class BuiltInToolsTest {
  @TempDir Path dir;
  Fixture f;

  @BeforeEach
  void setUp() {
    f = new Fixture(dir, BatonTools.builder());
  }

  @AfterEach
  void tearDown() throws InterruptedException {
    f.close();
  }

  @Test
  void workspaceRoundTripStaysInTheSessionsOwnFolder() throws Exception {
    Tools alice = f.bind("api:u:alice"), bob = f.bind("api:u:bob");
    assertThat(code(alice.call(call("workspace.write", "{\"path\":\"notes/a.txt\",\"content\":\"hi\"}")))).isEqualTo("ok");
    assertThat(json(alice.call(call("workspace.append", "{\"path\":\"notes/a.txt\",\"content\":\" there\"}"))))
        .contains("\"size\":8");
    assertThat(json(alice.call(call("workspace.read", "{\"path\":\"notes/../notes/a.txt\"}")))).contains("hi there");
    assertThat(json(alice.call(call("workspace.list", "{}")))).contains("notes/");
    assertThat(code(bob.call(call("workspace.read", "{\"path\":\"notes/a.txt\"}")))).isEqualTo("not_found");
    assertThat(json(bob.call(call("workspace.list", "{\"path\":\"\"}")))).contains("\"entries\":[]");
  }

  @ParameterizedTest
  @ValueSource(strings = {"../escape.txt", "a/../../escape.txt", "/etc/passwd", "~/x", "C:\\\\x", "a\\\\..\\\\..\\\\x",
      "%2e%2e/escape.txt", "..%2fescape.txt", "%2E%2E%2Fescape", "\uFF0E\uFF0E/escape.txt", "a\uFF0F..\uFF0F..\uFF0Fx",
      "..\u2215escape", "..\u2044escape", "\u2024\u2024/x", "a\u0000b"})
  void pathEscapesAreRejected(String raw) throws Exception {
    Tools t = f.bind("api:u:alice");
    String arg = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode().put("path", raw)
        .put("content", "x").toString();
    for (String tool : List.of("workspace.read", "workspace.write", "workspace.append", "shared.write")) {
      ToolResult r = t.call(call(tool, arg));
      assertThat(code(r)).as("%s %s", tool, raw).isEqualTo("rejected_path");
    }
    try (var files = Files.walk(dir)) {
      assertThat(files.filter(Files::isRegularFile).toList()).as("nothing written").isEmpty();
    }
  }

  @Test
  void symbolicLinksLeadingOutAreRejected() throws Exception {
    Tools t = f.bind("api:u:alice");
    assertThat(code(t.call(call("workspace.write", "{\"path\":\"seed.txt\",\"content\":\"x\"}")))).isEqualTo("ok");
    Path outside = Files.createDirectories(dir.resolveSibling(dir.getFileName() + "-outside"));
    Files.writeString(outside.resolve("secret.txt"), "secret");
    Path ws = Files.list(dir.resolve("sessions")).findFirst().orElseThrow();
    Files.createSymbolicLink(ws.resolve("out"), outside);
    Files.createSymbolicLink(ws.resolve("secret-link.txt"), outside.resolve("secret.txt"));
    assertThat(code(t.call(call("workspace.read", "{\"path\":\"out/secret.txt\"}")))).isEqualTo("rejected_path");
    assertThat(code(t.call(call("workspace.write", "{\"path\":\"out/new.txt\",\"content\":\"x\"}")))).isEqualTo("rejected_path");
    assertThat(code(t.call(call("workspace.read", "{\"path\":\"secret-link.txt\"}")))).isEqualTo("rejected_path");
    assertThat(code(t.call(call("workspace.append", "{\"path\":\"secret-link.txt\",\"content\":\"x\"}")))).isEqualTo("rejected_path");
    assertThat(Files.readString(outside.resolve("secret.txt"))).isEqualTo("secret");
    assertThat(outside.resolve("new.txt")).doesNotExist();
  }

  @Test
  void dotDotInsideTheFolderIsOneLockWithItsCanonicalForm() {
    assertThat(Resource.path("workspace", "a/../b", Access.EXCLUSIVE).key())
        .isEqualTo(Resource.path("workspace", "./b//", Access.EXCLUSIVE).key()).isEqualTo("workspace:b");
  }

  @Test
  void kvToolsReadAndWriteTheTurnsOwnState() throws Exception {
    MapSessionState state = new MapSessionState();
    Tools t = f.tools.bind(f.turn("api:u:alice"), state);
    assertThat(json(t.call(call("kv.get", "{\"key\":\"color\"}")))).contains("\"value\":null");
    assertThat(json(t.call(call("kv.upsert", "{\"key\":\"color\",\"value\":\"blue\"}")))).contains("\"previous\":null");
    assertThat(state.snapshot()).containsEntry("color", "blue");
    assertThat(json(t.call(call("kv.get", "{\"key\":\"color\"}")))).contains("\"value\":\"blue\"");
  }

  @Test
  void badCallsGetClearCodes() throws Exception {
    Tools t = f.bind("api:u:alice");
    assertThat(code(t.call(call("nope", "{}")))).isEqualTo("unknown_tool");
    assertThat(code(t.call(call("kv.get", "not json")))).isEqualTo("invalid_arguments");
    assertThat(code(t.call(call("kv.get", "[1]")))).isEqualTo("invalid_arguments");
    assertThat(code(t.call(call("kv.get", "{\"key\":3}")))).isEqualTo("invalid_arguments");
    assertThat(code(t.call(call("kv.get", "{\"key\":\"a\",\"key\":\"b\"}")))).isEqualTo("invalid_arguments");
    assertThat(code(t.call(call("kv.get", "{\"key\":\"a\"} trailing")))).isEqualTo("invalid_arguments");
    assertThat(code(t.call(call("workspace.write", "{\"path\":\"big.txt\",\"content\":\""
        + "x".repeat((1 << 20) + 1) + "\"}")))).isEqualTo("too_large");
    assertThat(code(t.call(call("kv.get", "[".repeat(65) + "]".repeat(65))))).isEqualTo("too_large");
    assertThat(code(t.call(call("ask", "{\"to\":\"x\",\"question\":\"q\"}")))).isEqualTo("unknown_peer");
    assertThat(t.available()).extracting(s -> s.name()).contains("workspace.read", "workspace.write",
        "workspace.append", "workspace.list", "kv.get", "kv.upsert", "shared.read", "shared.write",
        "shared.counter.add", "shared.ledger.append", "ask");
  }

  @Test
  void parallelCallsOfOneTurnEachCarryTheTurnsContext() throws Exception {
    Tool whoAmI = new Tool() {
      public String name() {
        return "whoami";
      }

      public String description() {
        return "";
      }

      public String inputSchema() {
        return "{\"type\":\"object\"}";
      }

      public com.fasterxml.jackson.databind.JsonNode execute(com.fasterxml.jackson.databind.JsonNode a, ToolContext c) {
        return c.json().objectNode().put("session", BatonContext.current().orElseThrow().session().value())
            .put("same", BatonContext.CURRENT.get().equals(c.turn())).put("i", a.get("i").asInt());
      }
    };
    Fixture g = new Fixture(dir.resolve("g"), BatonTools.builder().tool(whoAmI));
    try {
      Tools t = g.bind("api:u:carol");
      List<ToolResult> rs = t.callAll(IntStream.range(0, 8).mapToObj(i -> call("whoami", "{\"i\":" + i + "}")).toList());
      for (int i = 0; i < 8; i++) {
        assertThat(json(rs.get(i))).contains("\"session\":\"api:u:carol\"").contains("\"same\":true")
            .contains("\"i\":" + i);
      }
    } finally {
      g.close();
    }
  }

  @Test
  void sharedCounterLosesNoUpdateUnderParallelCallsFromManySessions() throws Exception {
    int sessions = 8, perSession = 25;
    for (int s = 0; s < sessions; s++) {
      Tools t = f.bind("api:u:user" + s);
      f.spawn("session-" + s, () -> {
        for (int i = 0; i < perSession; i++) {
          assertThat(code(t.call(call("shared.counter.add", "{\"name\":\"visits\",\"delta\":1}")))).isEqualTo("ok");
          assertThat(code(t.call(call("shared.ledger.append", "{\"ledger\":\"book\",\"entry\":\"e\"}")))).isEqualTo("ok");
        }
      });
    }
    for (Thread th : f.threads) th.join();
    Tools t = f.bind("api:u:reader");
    assertThat(json(t.call(call("shared.counter.add", "{\"name\":\"visits\",\"delta\":0}"))))
        .contains("\"value\":" + sessions * perSession);
    String ledger = json(t.call(call("shared.ledger.read", "{\"ledger\":\"book\"}")));
    for (int line = 1; line <= sessions * perSession; line++) assertThat(ledger).contains("\"" + line + "\\t");
    assertThat(ledger).as("a shared ledger names no session (P1)").doesNotContain("api:u:user");
  }
}
