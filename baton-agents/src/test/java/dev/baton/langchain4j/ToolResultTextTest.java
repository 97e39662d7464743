package dev.baton.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** A tool's result reaches the model as its text, also past the 1 MiB that client JSON is held to. */
class ToolResultTextTest {

  private static final String BIG = "x".repeat((1 << 20) * 2);

  @Test
  void aJsonStringResultIsUnquotedWhateverItsSize() {
    assertThat(LangChain4jTools.fromJson("\"short\"")).isEqualTo("short");
    assertThat(LangChain4jTools.fromJson("\"" + BIG + "\"")).isEqualTo(BIG);
    assertThat(LangChain4jTools.fromJson("{\"a\":1}")).isEqualTo("{\"a\":1}");
  }

  @Test
  void aMethodsLargeJsonTextStaysJson() {
    assertThat(MethodTool.asJson("{\"big\":\"" + BIG + "\"}").path("big").asText()).hasSize(BIG.length());
    assertThat(MethodTool.asJson("plain words").asText()).isEqualTo("plain words");
  }
}
