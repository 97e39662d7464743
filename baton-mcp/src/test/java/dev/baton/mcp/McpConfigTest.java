package dev.baton.mcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.baton.config.BatonConfig;
import dev.baton.config.ConfigLoader;
import dev.baton.config.McpConfig;
import dev.baton.testing.ManualScheduler;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code tools.mcp} in baton.yaml: the docs' snippet loads; bad entries stop with file:line:column. */
class McpConfigTest {
  private final ConfigLoader loader = new ConfigLoader(Map.of("MCP_TOKEN", "tok-123456"));

  @Test
  void theDocsSnippetLoads() throws Exception {
    String doc = Files.readString(Path.of("..", "docs", "tools.md"), StandardCharsets.UTF_8);
    int at = doc.indexOf("```yaml\ntools:\n  mcp:");
    assertThat(at).isPositive();
    String yaml = doc.substring(at + 8, doc.indexOf("```", at + 8));
    McpConfig mcp = loader.parse(yaml, "docs/tools.md").tools().mcp();
    McpConfig.Server files = mcp.servers().get("files");
    assertThat(files.command()).isEqualTo("java");
    assertThat(files.resources()).extracting(McpConfig.LockRule::tool).contains("write_file", "append_line");
    McpConfig.Server remote = mcp.servers().get("tickets");
    assertThat(remote.url()).startsWith("https://");
    assertThat(remote.headers().get("Authorization")).isEqualTo("Bearer tok-123456");
    assertThat(remote.toString()).doesNotContain("tok-123456");
  }

  @Test
  void badEntriesStopWithTheirPosition() {
    assertThatThrownBy(() -> loader.parse("""
        tools:
          mcp:
            servers:
              files:
                command: java
                url: https://x/mcp
        """, "baton.yaml")).hasMessageContaining("baton.yaml:6:").hasMessageContaining("`tools.mcp.servers.files.url`: a server is either a stdio `command` or an HTTP `url`, not both");
    assertThatThrownBy(() -> loader.parse("""
        tools:
          mcp:
            servers:
              files:
                command: java
                resources:
                  - tool: write_file
                    lock: "{path}"
        """, "baton.yaml")).hasMessageContaining("baton.yaml:8:").hasMessageContaining("must be `kind:template`");
    assertThatThrownBy(() -> loader.parse("""
        tools:
          mcp:
            servers:
              files:
                command: java
                timout_ms: 5
        """, "baton.yaml")).hasMessageContaining("baton.yaml:6:").hasMessageContaining("did you mean `timeout_ms`");
    assertThatThrownBy(() -> loader.parse("""
        tools:
          mcp:
            servers:
              Files:
                command: java
        """, "baton.yaml")).hasMessageContaining("baton.yaml:").hasMessageContaining("'Files' must be lower case");
    assertThatThrownBy(() -> loader.parse("""
        tools:
          mcp:
            servers:
              files:
                timeout_ms: 5
        """, "baton.yaml")).hasMessageContaining("needs `command`");
    assertThatThrownBy(() -> loader.parse("""
        tools:
          mcp:
            servers:
              files:
                command: java
                resources:
                  - lock: "file:{path}"
        """, "baton.yaml")).hasMessageContaining("baton.yaml:7:").hasMessageContaining("`tools.mcp.servers.files.resources`: rule 0 (from 0) needs both `tool` and `lock`");
  }

  @Test
  void aLockRuleForAToolTheServerDoesNotOfferStopsStartUp(@TempDir Path dir) {
    McpConfig.Server s = McpFixture.serverConfig(dir).withResources(List.of(
        McpConfig.LockRule.exclusive("wrte_file", "file:{path}")));
    assertThatThrownBy(() -> McpTools.start(new McpConfig(Map.of("files", s)), new ManualScheduler()))
        .hasMessageContaining("tools.mcp.servers.files.resources[0]: server 'files' offers no tool 'wrte_file'")
        .hasMessageContaining("write_file");
  }

  @Test
  void aServerThatDoesNotStartStopsStartUpNamingIt() {
    McpConfig.Server s = McpConfig.Server.stdio("/nonexistent/mcp-server", List.of());
    assertThatThrownBy(() -> McpTools.start(new McpConfig(Map.of("ghost", s)), new ManualScheduler()))
        .hasMessageStartingWith("MCP server 'ghost' did not start");
  }

  @Test
  void noServersNoTools() {
    assertThat(BatonConfig.defaults().tools().mcp().servers()).isEmpty();
    assertThat(McpTools.start(McpConfig.defaults(), new ManualScheduler()).tools()).isEmpty();
  }
}
