package dev.baton.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The shapes other modules add to their config records: lists, maps, optionals, records without defaults. */
class GenericBindingTest {

  enum Mode { FAST_LANE, SLOW_LANE }

  record Bot(@Doc("Bot name.") String name, @Secret @Doc("Token.") String token, @Doc("Mode.") Mode mode) {
    Bot {
      if (name.isEmpty()) throw new IllegalArgumentException("name must not be empty");
    }

    @Override
    public String toString() {
      return "Bot[" + name + "]";
    }
  }

  record Limits(@Doc("Max.") int max, @Doc("Ratio.") double ratio) {
    static Limits defaults() {
      return new Limits(5, 0.5);
    }
  }

  record Root(
      @Doc("Names.") List<String> names,
      @Doc("Bots.") List<Bot> bots,
      @Doc("Limits by name.") Map<String, Limits> limits,
      @Doc("Optional proxy.") Optional<String> proxy,
      @Doc("Flags.") Map<String, Boolean> flags,
      @Doc("Limits.") Limits base) {
    static Root defaults() {
      return new Root(List.of("a"), List.of(), Map.of(), Optional.empty(), Map.of(), Limits.defaults());
    }
  }

  record Endpoints(@Doc("Base URL.") java.net.URI base, @Doc("Cert file.") java.nio.file.Path cert,
      @Doc("Scopes.") java.util.Set<String> scopes) {
    static Endpoints defaults() {
      return new Endpoints(java.net.URI.create("https://example.org"), java.nio.file.Path.of("cert.pem"),
          java.util.Set.of());
    }
  }

  record Vault(@Doc("Name.") String name, @Doc("Key.") String apiKey) {
    Vault {
      if (apiKey.length() < 20) throw new IllegalArgumentException("api_key is too short: " + apiKey);
    }

    static Vault defaults() {
      return new Vault("v", "x".repeat(20));
    }
  }

  @Test
  void aSecretWrittenInTheFileIsNotEchoedByAValidationMessage() {
    ConfigException e = catchThrowableOfType(ConfigException.class,
        () -> loader.parse("name: v\napi_key: hunter2\n", "v.yaml", Vault.class));
    assertThat(e.errors()).extracting(ConfigError::toString).containsExactly("v.yaml:2:10: `api_key` is too short: ***.");
  }

  @Test
  void bindsUrlsPathsAndSets() {
    Endpoints e = loader.parse("base: https://api.example.com/v1\ncert: /etc/baton/cert.pem\nscopes: [read, write]\n",
        "e.yaml", Endpoints.class);
    assertThat(e.base().getHost()).isEqualTo("api.example.com");
    assertThat(e.cert()).isEqualTo(java.nio.file.Path.of("/etc/baton/cert.pem"));
    assertThat(e.scopes()).containsExactly("read", "write");
    ConfigException ex = catchThrowableOfType(ConfigException.class,
        () -> loader.parse("base: not a url\nscopes: [a, a]\n", "e.yaml", Endpoints.class));
    assertThat(ex.errors()).extracting(ConfigError::toString).containsExactly(
        "e.yaml:1:7: `base` must be an absolute URL such as `https://host/path`, was `not a url`.",
        "e.yaml:2:9: `scopes` lists a value twice; each may appear once.");
  }

  private final ConfigLoader loader = new ConfigLoader(Map.of("BOT_TOKEN", "tok-123456"));

  @Test
  void bindsListsMapsOptionalsAndRecordsWithoutDefaults() {
    Root r = loader.parse("""
        names: [x, y]
        bots:
          - name: alpha
            token: ${BOT_TOKEN}
            mode: slow_lane
        limits:
          eu: {max: 9}
          us:
        proxy: http://proxy:3128
        flags: {beta: true}
        """, "r.yaml", Root.class);
    assertThat(r.names()).containsExactly("x", "y");
    assertThat(r.bots()).containsExactly(new Bot("alpha", "tok-123456", Mode.SLOW_LANE));
    assertThat(r.limits()).containsExactly(Map.entry("eu", new Limits(9, 0.5)), Map.entry("us", Limits.defaults()));
    assertThat(r.proxy()).contains("http://proxy:3128");
    assertThat(r.flags()).containsEntry("beta", true);
    assertThat(r.base()).isEqualTo(Limits.defaults());
    assertThat(loader.parse("names:\n", "r.yaml", Root.class).names()).isEmpty();
    assertThat(loader.parse("proxy: ~\n", "r.yaml", Root.class).proxy()).isEmpty();
  }

  @Test
  void errorsInsideListsAndMapsCarryTheirPath() {
    ConfigException e = catchThrowableOfType(ConfigException.class, () -> loader.parse("""
        bots:
          - name: ""
            token: t
            mode: fast_lane
          - name: b
            mode: medium
        limits:
          eu: {max: many}
          eu: {max: 1}
        names: {a: 1}
        """, "r.yaml", Root.class));
    assertThat(e.errors()).extracting(ConfigError::toString).containsExactly(
        "r.yaml:2:11: `bots[0].name` must not be empty.",
        "r.yaml:5:5: `bots[1]` needs the key `token`.",
        "r.yaml:6:11: `bots[1].mode` must be one of `fast_lane`, `slow_lane`, was `medium`.",
        "r.yaml:8:13: `limits.eu.max` must be a whole number, was `many`.",
        "r.yaml:9:3: `limits.eu` is given twice (first at line 8); each name may appear once.",
        "r.yaml:10:8: `names` must be a list (`- item` lines or `[a, b]`).");
  }

  @Test
  void docsRowsCoverNestedListsAndMaps() {
    assertThat(ConfigDocs.rows(Root.class)).extracting(ConfigDocs.Row::key).containsExactly(
        "names", "bots", "bots[].name", "bots[].token", "bots[].mode", "limits", "limits.<name>.max",
        "limits.<name>.ratio", "proxy", "flags", "base", "base.max", "base.ratio");
    assertThat(ConfigDocs.rows(Root.class)).filteredOn(r -> r.key().equals("bots[].token")).singleElement()
        .satisfies(r -> assertThat(r.secret()).isTrue());
  }
}
