package dev.baton.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code agent.rate_limits.provider}: off by default, bound from YAML, refused with its position when negative. */
class ProviderLimitsConfigTest {
  private final ConfigLoader loader = new ConfigLoader(Map.of());

  @Test
  void offByDefaultAndBoundFromYaml() {
    assertThat(loader.parse("", "baton.yaml").agent().rateLimits().provider())
        .isEqualTo(new ProviderLimitsConfig(0, 0)).satisfies(p -> assertThat(p.limited()).isFalse());
    ProviderLimitsConfig p = loader.parse("""
        agent:
          rate_limits:
            provider:
              requests_per_minute: 500
              tokens_per_minute: 200000
        """, "baton.yaml").agent().rateLimits().provider();
    assertThat(p).isEqualTo(new ProviderLimitsConfig(500, 200_000));
  }

  @Test
  void aNegativeLimitOrAnUnknownKeyIsAnErrorWithItsPosition() {
    List<ConfigError> errors = catchThrowableOfType(ConfigException.class, () -> loader.parse("""
        agent:
          rate_limits:
            provider:
              requests_per_minute: -1
        """, "baton.yaml")).errors();
    assertThat(errors).singleElement().satisfies(e -> {
      assertThat(e.message()).contains("requests_per_minute").contains("0 or more");
      assertThat(e.line()).isEqualTo(4);
    });
    List<ConfigError> unknown = catchThrowableOfType(ConfigException.class, () -> loader.parse("""
        agent:
          rate_limits:
            provider:
              request_per_minute: 5
        """, "baton.yaml")).errors();
    assertThat(unknown).singleElement().satisfies(e -> assertThat(e.line()).isEqualTo(4));
  }
}
