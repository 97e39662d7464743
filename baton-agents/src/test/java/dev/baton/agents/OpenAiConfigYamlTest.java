package dev.baton.agents;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.baton.config.BatonConfig;
import dev.baton.config.ConfigLoader;
import dev.baton.config.OpenAiConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code agent.openai} in baton.yaml: the snippets of docs/agents.md load, the key stays secret, bad values stop. */
class OpenAiConfigYamlTest {

  static final String KEY = "sk-from-env-0123456789";

  static List<String> yamlSnippets() throws Exception {
    String doc = Files.readString(Path.of("..", "docs", "agents.md"), StandardCharsets.UTF_8);
    List<String> out = new ArrayList<>();
    for (int i = doc.indexOf("```yaml\n"); i >= 0; i = doc.indexOf("```yaml\n", i + 1)) {
      out.add(doc.substring(i + 8, doc.indexOf("```", i + 8)));
    }
    return out;
  }

  @Test
  void theOpenAiAndOllamaSnippetsOfTheDocsLoad() throws Exception {
    ConfigLoader loader = new ConfigLoader(Map.of("OPENAI_API_KEY", KEY));
    List<BatonConfig> openai = new ArrayList<>();
    for (String y : yamlSnippets()) {
      BatonConfig c = loader.parse(y, "docs/agents.md");
      if (c.agent().type().equals("openai")) openai.add(c);
    }
    assertThat(openai).hasSize(2);
    OpenAiConfig cloud = openai.get(0).agent().openai();
    assertThat(cloud.baseUrl()).isEqualTo("https://api.openai.com/v1");
    assertThat(cloud.apiKey()).isEqualTo(KEY);
    assertThat(cloud.maxToolRounds()).isEqualTo(6);
    assertThat(cloud.toString()).doesNotContain(KEY);
    OpenAiConfig ollama = openai.get(1).agent().openai();
    assertThat(ollama.baseUrl()).isEqualTo("http://localhost:11434/v1");
    assertThat(ollama.apiKey()).isEmpty();
    assertThat(ollama.temperature()).isZero();
    assertThat(ollama.requestTimeoutMs()).isEqualTo(300_000);
  }

  @Test
  void impossibleValuesStopStartUpWithASentence() {
    ConfigLoader loader = new ConfigLoader(Map.of());
    assertThatThrownBy(() -> loader.parse("agent:\n  openai:\n    temperature: 3\n", "baton.yaml"))
        .hasMessageContaining("baton.yaml:3:").hasMessageContaining("`agent.openai.temperature` must be between 0 and 2");
    assertThatThrownBy(() -> loader.parse("agent:\n  openai:\n    base_url: localhost:11434\n", "baton.yaml"))
        .hasMessageContaining("`agent.openai.base_url` must start with http:// or https://");
    assertThatThrownBy(() -> loader.parse("agent:\n  openai:\n    max_tool_rounds: 0\n", "baton.yaml"))
        .hasMessageContaining("`agent.openai.max_tool_rounds` must be a positive number");
  }
}
