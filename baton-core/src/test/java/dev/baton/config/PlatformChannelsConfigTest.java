package dev.baton.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The platform channels' keys as `config check` sees them: impossible values at their file:line:column. */
class PlatformChannelsConfigTest {

  private static final String FILE = "conf/baton.yaml";
  static final String GOOD_SECRET = "tg-secret-token_0123456789abcdefgh"; // 34 bytes
  private final ConfigLoader loader = new ConfigLoader(Map.of("SHORT_TG_SECRET", "only-20-bytes-secret",
      "TG_SECRET", GOOD_SECRET));

  private List<ConfigError> errorsOf(String yaml) {
    return catchThrowableOfType(ConfigException.class, () -> loader.parse(yaml, FILE)).errors();
  }

  static String telegram(String secretValue) {
    return "channels:\n  telegram:\n    enabled: true\n    bot_token: 1:abc\n    secret_token: " + secretValue + "\n";
  }

  @Test
  void aTelegramSecretTokenShorterThan32BytesIsRefusedAtItsValue() {
    assertThat(errorsOf(telegram("short-secret_123"))).singleElement().satisfies(e -> {
      assertThat(e.file()).isEqualTo(FILE);
      assertThat(e.line()).isEqualTo(5);
      assertThat(e.column()).isEqualTo(19);
      assertThat(e.message()).startsWith("`channels.telegram.secret_token` must be at least 32 bytes")
          .doesNotContain("short-secret_123");
    });
  }

  @Test
  void aShortTelegramSecretFromTheEnvironmentIsRefusedWithoutShowingIt() {
    ConfigException e = catchThrowableOfType(ConfigException.class,
        () -> loader.parse(telegram("${SHORT_TG_SECRET}"), FILE));
    assertThat(e.errors()).singleElement().satisfies(err -> {
      assertThat(err.line()).isEqualTo(5);
      assertThat(err.column()).isEqualTo(19);
    });
    assertThat(e.getMessage()).contains("at least 32 bytes").doesNotContain("only-20-bytes-secret");
  }

  @Test
  void aTelegramSecretTokenOutsideTelegramsAlphabetIsRefused() {
    assertThat(errorsOf(telegram("\"" + "x".repeat(31) + "/\""))).singleElement().satisfies(e -> {
      assertThat(e.line()).isEqualTo(5);
      assertThat(e.message()).contains("A-Z, a-z, 0-9, `_` and `-`");
    });
    assertThat(errorsOf(telegram("x".repeat(257)))).singleElement()
        .satisfies(e -> assertThat(e.message()).contains("at most 256"));
  }

  @Test
  void aLongEnoughTelegramSecretLoads() {
    assertThat(loader.parse(telegram("${TG_SECRET}"), FILE).channels().telegram().secretToken())
        .isEqualTo(GOOD_SECRET);
    // a disabled channel's secret is never used, so it is not judged
    assertThat(loader.parse("channels:\n  telegram:\n    secret_token: short\n", FILE).channels().telegram()
        .enabled()).isFalse();
  }
  @Test
  void whatsappMaxMessageAgeDefaultsToADayAndMustBePositive() {
    assertThat(loader.parse("channels:\n  whatsapp:\n    enabled: false\n", FILE).channels().whatsapp()
        .maxMessageAgeMs()).isEqualTo(86_400_000L);
    assertThat(errorsOf("channels:\n  whatsapp:\n    max_message_age_ms: 0\n")).singleElement().satisfies(e -> {
      assertThat(e.line()).isEqualTo(3);
      assertThat(e.column()).isEqualTo(25);
      assertThat(e.message()).isEqualTo("`channels.whatsapp.max_message_age_ms` must be a positive number, was 0.");
    });
  }

  @Test
  void anEnabledDiscordChannelNeedsANumericApplicationId() {
    String yaml = "channels:\n  discord:\n    enabled: true\n    public_key: " + "ab".repeat(32)
        + "\n    application_id: \"../../x\"\n";
    assertThat(errorsOf(yaml)).singleElement().satisfies(e -> {
      assertThat(e.line()).isEqualTo(5);
      assertThat(e.message()).startsWith("`channels.discord.application_id` must be the application's id, 1-20 digits");
    });
  }
}
