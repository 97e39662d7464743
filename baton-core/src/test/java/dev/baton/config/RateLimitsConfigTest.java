package dev.baton.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** agent.rate_limits and tools.limits: defaults off, keys load, impossible values are file:line:column errors. */
class RateLimitsConfigTest {

  private final ConfigLoader loader = new ConfigLoader(Map.of());

  private List<ConfigError> errorsOf(String yaml) {
    return catchThrowableOfType(ConfigException.class, () -> loader.parse(yaml, "baton.yaml")).errors();
  }

  @Test
  void everythingIsOffByDefault() {
    BatonConfig c = loader.parse("", "baton.yaml");
    RateLimitsConfig r = c.agent().rateLimits();
    assertThat(r.perUser().enabled()).isFalse();
    assertThat(r.tokensPerUserPerDay()).isZero();
    assertThat(r.perUser().busyMessage()).isEqualTo(RateLimitsConfig.PerUserConfig.DEFAULT_BUSY_MESSAGE);
    assertThat(c.tools().limits()).isEmpty();
  }

  @Test
  void theKeysLoadAndBurstDefaultsToTheRate() {
    BatonConfig c = loader.parse("""
        agent:
          rate_limits:
            per_user:
              messages_per_minute: 20
              busy_message: "Easy there."
            tokens_per_user_per_day: 50000
            budget_message: "Come back tomorrow."
        tools:
          limits:
            weather.get:
              max_concurrent: 4
              calls_per_minute: 30
            search:
              max_concurrent: 2
        """, "baton.yaml");
    RateLimitsConfig r = c.agent().rateLimits();
    assertThat(r.perUser().messagesPerMinute()).isEqualTo(20);
    assertThat(r.perUser().effectiveBurst()).isEqualTo(20);
    assertThat(r.perUser().busyMessage()).isEqualTo("Easy there.");
    assertThat(r.perUser().maxTrackedUsers()).isEqualTo(RateLimitsConfig.PerUserConfig.DEFAULT_MAX_TRACKED_USERS);
    assertThat(r.tokensPerUserPerDay()).isEqualTo(50_000);
    assertThat(r.budgetMessage()).isEqualTo("Come back tomorrow.");
    assertThat(c.tools().limits()).containsEntry("weather.get", new ToolsConfig.ToolLimit(4, 30))
        .containsEntry("search", new ToolsConfig.ToolLimit(2, 0));
  }

  @Test
  void negativeValuesAreErrorsWithFileLineAndColumn() {
    List<ConfigError> errors = errorsOf("""
        agent:
          rate_limits:
            per_user:
              messages_per_minute: -1
            tokens_per_user_per_day: -5
        tools:
          limits:
            search:
              max_concurrent: -2
        """);
    assertThat(errors).extracting(ConfigError::toString).containsExactlyInAnyOrder(
        "baton.yaml:4:28: `agent.rate_limits.per_user.messages_per_minute` must be 0 or more, was -1.",
        "baton.yaml:5:30: `agent.rate_limits.tokens_per_user_per_day` must be 0 or more, was -5.",
        "baton.yaml:9:23: `tools.limits.search.max_concurrent` must be 0 or more, was -2.");
  }

  @Test
  void aBlankBusyMessageIsRefused() {
    List<ConfigError> errors = errorsOf("""
        agent:
          rate_limits:
            per_user:
              busy_message: " "
        """);
    assertThat(errors).hasSize(1);
    assertThat(errors.getFirst().toString()).startsWith("baton.yaml:4:").contains("busy_message").contains("blank");
  }
}
