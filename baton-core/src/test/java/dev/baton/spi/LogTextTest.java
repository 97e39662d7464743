package dev.baton.spi;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LogTextTest {

  @Test
  void aValueCannotEndTheLineOrForgeAnother() {
    String forged = "x\n12:00:00.000 ERROR dev.baton.Engine admin logged in\r\u2028\u0085\u001b[31m\\";
    String safe = LogText.escape(forged);
    assertThat(safe).doesNotContain("\n", "\r", "\u2028", "\u0085", "\u001b")
        .isEqualTo("x\\n12:00:00.000 ERROR dev.baton.Engine admin logged in\\r\\u2028\\u0085\\u001b[31m\\\\");
    assertThat(LogText.escape("plain user 42")).isEqualTo("plain user 42");
  }

  @Test
  void longValuesAreCut() {
    assertThat(LogText.escape("a".repeat(1_000))).hasSize(LogText.MAX_CHARS + "…(+800 chars)".length())
        .endsWith("…(+800 chars)");
  }
}
