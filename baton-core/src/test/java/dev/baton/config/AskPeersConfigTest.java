package dev.baton.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code tools.ask_peers}: the allowlist of peers the ask tool may address (P1). */
class AskPeersConfigTest {
  private final ConfigLoader loader = new ConfigLoader(Map.of());

  @Test
  void peersLoadAsNameToSessionKeyAndDefaultToNone() {
    BatonConfig c = loader.parse("""
        tools:
          ask_peers:
            support: "api:u:bob"
            billing: "telegram:c:42"
        """, "baton.yaml");
    assertThat(c.tools().askPeers()).containsExactlyInAnyOrderEntriesOf(
        Map.of("support", "api:u:bob", "billing", "telegram:c:42"));
    assertThat(c.tools().workspaceRoot()).isEqualTo(ToolsConfig.defaults().workspaceRoot());
    assertThat(loader.parse("", "baton.yaml").tools().askPeers()).isEmpty();
  }

  @Test
  void aBlankSessionKeyIsAConfigErrorWithItsPosition() {
    List<ConfigError> errors = catchThrowableOfType(ConfigException.class, () -> loader.parse("""
        tools:
          ask_peers:
            support: " "
        """, "baton.yaml")).errors();
    assertThat(errors).hasSize(1);
    assertThat(errors.getFirst().message()).contains("support").contains("blank");
    assertThat(errors.getFirst().line()).isPositive();
  }
}
