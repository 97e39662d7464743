package dev.baton.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.RecordComponent;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Keeps {@code docs/configuration.md} in step with the config records. When it fails because you added or
 * changed a key, regenerate the table: {@code ./baton config keys --write docs/configuration.md}.
 */
class ConfigDocsTest {

  private static final Path DOC = Path.of("..", "docs", "configuration.md");

  @Test
  void committedKeyTableMatchesTheRecords() throws Exception {
    String doc = Files.readString(DOC, StandardCharsets.UTF_8);
    assertThat(doc)
        .as("docs/configuration.md is out of date; run: ./baton config keys --write docs/configuration.md")
        .isEqualTo(ConfigDocs.withTable(doc));
  }

  @Test
  void everyKeyHasAMeaningAndATypeTheLoaderSupports() {
    List<ConfigDocs.Row> rows = ConfigDocs.rows();
    assertThat(rows).isNotEmpty().allSatisfy(r -> {
      assertThat(r.meaning()).as("@Doc of " + r.key()).isNotBlank();
      assertThat(r.type()).as("type of " + r.key()).isNotBlank();
    });
    assertThat(rows).extracting(ConfigDocs.Row::key)
        .contains("sessions.id_source", "agent.concurrency.max_concurrent_total", "agent.deadlock_detection.on_deadlock")
        .doesNotHaveDuplicates();
  }

  @Test
  void theFullExampleInTheDocsLoads() throws Exception {
    String doc = Files.readString(DOC, StandardCharsets.UTF_8);
    int start = doc.indexOf("```yaml\n", doc.indexOf("## Full example"));
    String yaml = doc.substring(start + 8, doc.indexOf("```", start + 8));
    BatonConfig c = new ConfigLoader(Map.of("BATON_ADMIN_TOKEN", "x".repeat(32))).parse(yaml, "docs example");
    assertThat(c).isNotEqualTo(BatonConfig.defaults());
  }

  @Test
  void theValidationExampleInTheDocsIsWhatTheLoaderReports() throws Exception {
    String doc = Files.readString(DOC, StandardCharsets.UTF_8);
    int section = doc.indexOf("## Validation");
    int yamlStart = doc.indexOf("```yaml\n", section) + 8;
    String yaml = doc.substring(yamlStart, doc.indexOf("```", yamlStart));
    int outStart = doc.indexOf("$ ./baton config check baton.yaml\n", yamlStart);
    List<String> documented = doc.substring(outStart, doc.indexOf("```", outStart)).lines()
        .filter(l -> l.startsWith("baton.yaml:")).toList();
    ConfigException e = org.assertj.core.api.Assertions.catchThrowableOfType(ConfigException.class,
        () -> new ConfigLoader(Map.of()).parse(yaml, "baton.yaml"));
    assertThat(documented).isNotEmpty();
    assertThat(e.errors()).extracting(ConfigError::toString).containsExactlyElementsOf(documented);
  }

  /** Every {@code @Secret} key, set from the environment, stays out of its record's {@code toString()}. */
  @Test
  void secretsNeverAppearInToString() {
    Map<String, String> env = new HashMap<>();
    StringBuilder yaml = new StringBuilder();
    int n = 0;
    for (ConfigDocs.Row r : ConfigDocs.rows()) {
      if (!r.secret() || r.key().contains("[]") || r.key().contains("<name>")) continue;
      String name = "SECRET_" + n++;
      env.put(name, "zz-secret-value-" + n + "-" + "Q".repeat(40));
      String[] parts = r.key().split("\\.");
      for (int i = 0; i < parts.length; i++) {
        yaml.append("  ".repeat(i)).append(parts[i]).append(':');
        yaml.append(i == parts.length - 1 ? " ${" + name + "}\n" : "\n");
      }
    }
    assertThat(n).as("secret keys found").isPositive();
    // Secret keys in different sections produce repeated section headers; load each one separately.
    for (String block : yaml.toString().split("(?m)^(?=\\S)")) {
      if (block.isBlank()) continue;
      try {
        BatonConfig c = new ConfigLoader(env).parse(block, "secrets");
        assertThat(c.toString()).doesNotContain("zz-secret-value");
      } catch (ConfigException e) { // a secret with a format rule may reject the probe value: not shown either
        assertThat(e.getMessage()).doesNotContain("zz-secret-value");
      }
    }
  }

  @Test
  void secretAnnotationIsSeenOnRecordComponents() {
    RecordComponent token = AdminConfig.class.getRecordComponents()[0];
    assertThat(token.isAnnotationPresent(Secret.class)).isTrue();
  }
}
