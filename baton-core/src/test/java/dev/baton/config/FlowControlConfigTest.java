package dev.baton.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code sessions.classes / class_claim / class_rules} and {@code tools.ask_max_hops / loop_window_ms / on_loop}. */
class FlowControlConfigTest {
  private final ConfigLoader loader = new ConfigLoader(Map.of());

  private List<String> errors(String yaml) {
    return catchThrowableOfType(ConfigException.class, () -> loader.parse(yaml, "baton.yaml")).errors().stream()
        .map(ConfigError::toString).toList();
  }

  @Test
  void defaultsAreOneStandardClassNoClaimNoRulesAndEightHops() {
    BatonConfig c = loader.parse("", "baton.yaml");
    assertThat(c.sessions().effectiveClasses()).containsExactly(Map.entry("standard", 1));
    assertThat(c.sessions().classClaim()).isEmpty();
    assertThat(c.sessions().classRules()).isEmpty();
    assertThat(c.tools().askMaxHops()).isEqualTo(8);
    assertThat(c.tools().loopWindowMs()).isEqualTo(60_000);
    assertThat(c.tools().onLoop()).isEqualTo(ToolsConfig.OnLoop.FAIL_NEWEST);
  }

  @Test
  void classesClaimAndRulesLoadInTheirOrder() {
    BatonConfig c = loader.parse("""
        sessions:
          classes:
            premium: { weight: 3 }
            free: { weight: 1 }
          class_claim: tier
          class_rules:
            - { channel: telegram, user: "42*", class: premium }
            - { channel: "*", user: "*", class: free }
        tools:
          ask_max_hops: 5
          loop_window_ms: 1000
          on_loop: report_only
        """, "baton.yaml");
    assertThat(c.sessions().effectiveClasses()).containsExactly(
        Map.entry("standard", 1), Map.entry("premium", 3), Map.entry("free", 1));
    assertThat(c.sessions().classClaim()).isEqualTo("tier");
    assertThat(c.sessions().classRules()).extracting(SessionsConfig.ClassRule::sessionClass)
        .containsExactly("premium", "free");
    assertThat(c.sessions().classRules().getFirst().matches("telegram", "4217")).isTrue();
    assertThat(c.sessions().classRules().getFirst().matches("telegram", "17")).isFalse();
    assertThat(c.sessions().classRules().getFirst().matches("api", "4217")).isFalse();
    assertThat(c.tools().askMaxHops()).isEqualTo(5);
    assertThat(c.tools().onLoop()).isEqualTo(ToolsConfig.OnLoop.REPORT_ONLY);
  }

  @Test
  void aConfiguredStandardWeightIsUsed() {
    BatonConfig c = loader.parse("""
        sessions:
          classes:
            gold: { weight: 4 }
            standard: { weight: 2 }
        """, "baton.yaml");
    assertThat(c.sessions().effectiveClasses()).containsExactly(Map.entry("standard", 2), Map.entry("gold", 4));
  }

  @Test
  void aBadWeightIsReportedAtItsValue() {
    assertThat(errors("""
        sessions:
          classes:
            gold:
              weight: 0
        """)).containsExactly(
        "baton.yaml:4:15: `sessions.classes.gold.weight` must be a whole number from 1 to 1000, was 0.");
  }

  @Test
  void aRuleNamingAnUnknownClassIsReportedAtTheRules() {
    assertThat(errors("""
        sessions:
          classes:
            gold: { weight: 2 }
          class_rules:
            - { channel: api, user: "*", class: platinum }
        """)).containsExactly("baton.yaml:5:5: `sessions.class_rules`: rule 1 names the class `platinum`, which is not in"
        + " sessions.classes (known: standard, gold).");
  }

  @Test
  void aRuleWithoutItsClassAndABadClassNameAreReportedWhereTheyAre() {
    assertThat(errors("""
        sessions:
          classes:
            Gold Tier: { weight: 2 }
          class_rules:
            - { channel: api, user: "*" }
        """)).hasSize(2).anySatisfy(e -> assertThat(e).startsWith("baton.yaml:5:7: ").contains("needs the key `class`"))
        .anySatisfy(e -> assertThat(e).startsWith("baton.yaml:3:5: ").contains("`Gold Tier` is not a class name"));
  }

  @Test
  void impossibleLoopLimitsAreReportedAtTheirValues() {
    assertThat(errors("""
        tools:
          ask_max_hops: 0
          on_loop: kill_everyone
        """)).hasSize(2).anySatisfy(e -> assertThat(e).startsWith("baton.yaml:2:17: ").contains("ask_max_hops"))
        .anySatisfy(e -> assertThat(e).startsWith("baton.yaml:3:12: ").contains("fail_newest"));
  }
}
