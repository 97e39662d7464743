package dev.baton.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Mutates the full example of docs/configuration.md at random (seeded, so a failure reproduces) and requires
 * that the loader either returns a config or throws a {@link ConfigException} whose every error has a real
 * position inside the file and a message without stack-trace text or the secret from the environment.
 * Anything else (an NPE, a ClassCastException, an error at line 0) is a loader bug.
 */
class ConfigFuzzTest {

  private static final String SECRET = "fuzz-secret-0123456789";
  private static final String NOISE = ":-[]{}#&*!|>'\"\t\n ,?%@`$0123456789abcxyz_.";

  static String example() throws Exception {
    String doc = Files.readString(Path.of("..", "docs", "configuration.md"), StandardCharsets.UTF_8);
    int start = doc.indexOf("```yaml\n", doc.indexOf("## Full example"));
    return doc.substring(start + 8, doc.indexOf("```", start + 8));
  }

  static String mutate(String yaml, SplittableRandom r) {
    List<String> lines = new ArrayList<>(Arrays.asList(yaml.split("\n", -1)));
    int edits = 1 + r.nextInt(3);
    for (int e = 0; e < edits; e++) {
      int i = r.nextInt(lines.size());
      String line = lines.get(i);
      switch (r.nextInt(8)) {
        case 0 -> lines.remove(i);
        case 1 -> lines.add(i, lines.get(r.nextInt(lines.size()))); // duplicate keys, misplaced sections
        case 2 -> lines.set(i, "  " + line); // indentation
        case 3 -> lines.set(i, line.replaceFirst("^  ", ""));
        case 4 -> lines.set(i, line.replaceAll("[0-9_]+", r.nextBoolean() ? "-1" : "lots"));
        case 5 -> lines.set(i, line.replaceAll(": .*", java.util.regex.Matcher.quoteReplacement(
            ": ${" + (r.nextBoolean() ? "FUZZ_SECRET" : "UNSET_VAR") + "}")));
        default -> {
          int at = line.isEmpty() ? 0 : r.nextInt(line.length() + 1);
          char c = NOISE.charAt(r.nextInt(NOISE.length()));
          lines.set(i, r.nextBoolean() || line.isEmpty() ? line.substring(0, at) + c + line.substring(at)
              : line.substring(0, Math.min(at, line.length() - 1)) + line.substring(Math.min(at, line.length() - 1) + 1));
        }
      }
    }
    return String.join("\n", lines);
  }

  private static void fuzz(int runs, long seed) throws Exception {
    String base = example();
    ConfigLoader loader = new ConfigLoader(Map.of("BATON_ADMIN_TOKEN", SECRET, "FUZZ_SECRET", SECRET));
    SplittableRandom random = new SplittableRandom(seed);
    int rejected = 0;
    for (int run = 0; run < runs; run++) {
      String yaml = mutate(base, random);
      long lines = yaml.lines().count() + 1;
      try {
        loader.parse(yaml, "fuzz.yaml");
      } catch (ConfigException e) {
        rejected++;
        for (ConfigError err : e.errors()) {
          assertThat(err.line()).as("line of %s in\n%s", err, yaml).isBetween(1, (int) lines);
          assertThat(err.column()).as("column of %s", err).isPositive();
          assertThat(err.message()).as("message").isNotBlank().doesNotContain(SECRET).doesNotContain("\tat ")
              .doesNotContain("Exception");
        }
        assertThat(e.getMessage()).doesNotContain(SECRET);
      } catch (RuntimeException e) {
        fail("run " + run + " (seed " + seed + ") threw " + e + " for\n" + yaml, e);
      }
    }
    assertThat(rejected).as("mutations that were rejected").isPositive();
  }

  @Test
  void mutatedConfigsFailOnlyWithPositionedErrors() throws Exception {
    fuzz(1_000, 20261127L);
  }

  @Tag("slow")
  @Test
  void manyMoreMutations() throws Exception {
    fuzz(200_000, System.nanoTime());
  }
}
