package dev.baton.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.baton.IdSource;
import dev.baton.config.ConcurrencyConfig.OverflowAction;
import dev.baton.config.DeadlockDetectionConfig.OnDeadlock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {

  private static final String FILE = "conf/baton.yaml";
  private final ConfigLoader loader = new ConfigLoader(Map.of("ADMIN_TOKEN", "s3cr3t-t0ken-s3cr3t-t0ken-s3cr3t-t0ken", "PORT", "9090"));

  /** DESIGN §3, verbatim. */
  static final String GUIDE_SNIPPET = """
      sessions:
        isolation: strict          # never share context between sessions
        storage: per_session       # each session gets its own namespace
        id_source: user_id         # session id derived from the authenticated user
      agent:
        concurrency:
          max_concurrent_per_session: 1   # queue, don't drop
          max_concurrent_total: 50        # global cap
          queue_timeout_ms: 30000         # give up after 30 s in queue
          overflow_action: return_busy_message
        tool_call_timeout_ms: 30000
        deadlock_detection:
          enabled: true
          check_interval_ms: 5000
          on_deadlock: kill_oldest_waiter
      """;

  private List<ConfigError> errorsOf(String yaml) {
    return catchThrowableOfType(ConfigException.class, () -> loader.parse(yaml, FILE)).errors();
  }

  @Test
  void guideSnippetLoadsVerbatim() {
    BatonConfig c = loader.parse(GUIDE_SNIPPET, FILE);
    assertThat(c.sessions().idSource()).isEqualTo(IdSource.USER_ID);
    assertThat(c.agent().concurrency().maxConcurrentPerSession()).isEqualTo(1);
    assertThat(c.agent().concurrency().maxConcurrentTotal()).isEqualTo(50);
    assertThat(c.agent().concurrency().queueTimeoutMs()).isEqualTo(30_000);
    assertThat(c.agent().concurrency().overflowAction()).isEqualTo(OverflowAction.RETURN_BUSY_MESSAGE);
    assertThat(c.agent().toolCallTimeoutMs()).isEqualTo(30_000);
    assertThat(c.agent().deadlockDetection().onDeadlock()).isEqualTo(OnDeadlock.KILL_OLDEST_WAITER);
    // keys the snippet does not give keep their defaults
    assertThat(c.agent().turnTimeoutMs()).isEqualTo(AgentConfig.defaults().turnTimeoutMs());
    assertThat(c.dedup()).isEqualTo(DedupConfig.defaults());
  }

  @Test
  void emptyFileAndEmptySectionsGiveDefaults() {
    assertThat(loader.parse("", FILE)).isEqualTo(BatonConfig.defaults());
    assertThat(loader.parse("# only a comment\n", FILE)).isEqualTo(BatonConfig.defaults());
    assertThat(loader.parse("agent:\ndedup:\n", FILE)).isEqualTo(BatonConfig.defaults());
  }

  @Test
  void valuesOverrideDefaultsAndOthersStay() {
    BatonConfig c = loader.parse("""
        agent:
          concurrency:
            max_queue_per_session: 1_000
            queue_mode: collect
        ordering:
          late_policy: drop
        """, FILE);
    assertThat(c.agent().concurrency().maxQueuePerSession()).isEqualTo(1000);
    assertThat(c.agent().concurrency().queueMode()).isEqualTo(ConcurrencyConfig.QueueMode.COLLECT);
    assertThat(c.agent().concurrency().maxConcurrentTotal()).isEqualTo(50);
    assertThat(c.ordering().latePolicy()).isEqualTo(OrderingConfig.LatePolicy.DROP);
    assertThat(c.ordering().gapTimeoutMs()).isEqualTo(OrderingConfig.defaults().gapTimeoutMs());
  }

  @Test
  void unknownKeySuggestsTheClosestOne() {
    List<ConfigError> errors = errorsOf("""
        agent:
          concurrency:
            max_concurent_total: 10
        """);
    assertThat(errors).containsExactly(new ConfigError(FILE, 3, 5,
        "unknown key `max_concurent_total` in `agent.concurrency`; did you mean `max_concurrent_total`?"));
  }

  @Test
  void unknownKeyInTheWrongSectionPointsToWhereItBelongs() {
    List<ConfigError> errors = errorsOf("""
        agent:
          concurrency:
            tool_call_timeout_ms: 10
        """);
    assertThat(errors).singleElement().satisfies(e -> {
      assertThat(e.line()).isEqualTo(3);
      assertThat(e.column()).isEqualTo(5);
      assertThat(e.message()).endsWith("did you mean `agent.tool_call_timeout_ms`?");
    });
  }

  @Test
  void unknownKeyFarFromAnyListsTheAllowedKeys() {
    List<ConfigError> errors = errorsOf("sessions:\n  flavour: vanilla\n");
    assertThat(errors).containsExactly(new ConfigError(FILE, 2, 3,
        "unknown key `flavour` in `sessions`; allowed keys are `isolation`, `storage`, `id_source`, `max_live_per_user`, `classes`, `class_claim`, `class_rules`."));
  }

  @Test
  void wrongTypeSaysWhatIsExpected() {
    List<ConfigError> errors = errorsOf("""
        agent:
          concurrency:
            max_concurrent_total: fifty
          deadlock_detection:
            enabled: sometimes
        """);
    assertThat(errors).containsExactly(
        new ConfigError(FILE, 3, 27, "`agent.concurrency.max_concurrent_total` must be a whole number, was `fifty`."),
        new ConfigError(FILE, 5, 14, "`agent.deadlock_detection.enabled` must be `true` or `false`, was `sometimes`."));
  }

  @Test
  void sectionWhereAValueIsExpectedAndTheReverse() {
    List<ConfigError> errors = errorsOf("""
        agent: echo
        dedup:
          window_ms:
            hours: 24
        """);
    assertThat(errors).extracting(ConfigError::line, ConfigError::column).containsExactly(
        org.assertj.core.groups.Tuple.tuple(1, 8), org.assertj.core.groups.Tuple.tuple(4, 5));
    assertThat(errors.get(0).message()).startsWith("`agent` must be a section of `key: value` lines");
    assertThat(errors.get(1).message()).isEqualTo("`dedup.window_ms` must be a whole number, not a section.");
  }

  @Test
  void negativeTimeoutIsReportedAtItsValue() {
    List<ConfigError> errors = errorsOf("""
        agent:
          concurrency:
            queue_timeout_ms: -5
        """);
    assertThat(errors).containsExactly(new ConfigError(FILE, 3, 23,
        "`agent.concurrency.queue_timeout_ms` must be a positive number, was -5."));
  }

  @Test
  void crossKeyRuleIsReportedAtTheKeyItNames() {
    List<ConfigError> errors = errorsOf("""
        agent:
          concurrency:
            max_concurrent_total: 4
            max_concurrent_per_session: 8
        """);
    assertThat(errors).containsExactly(new ConfigError(FILE, 4, 33,
        "`agent.concurrency.max_concurrent_per_session` (8) must not exceed max_concurrent_total (4)."));
  }

  @Test
  void clusterModeOnTheMemoryStoreIsReportedAtTheKey() {
    List<ConfigError> errors = errorsOf("cluster:\n  enabled: true\n  node_id: n1\n");
    assertThat(errors).singleElement().satisfies(e -> {
      assertThat(e.line()).isEqualTo(2);
      assertThat(e.toString()).contains("enabled").contains("storage.backend must be postgres or sqlite");
    });
    assertThat(loader.parse("storage:\n  backend: postgres\n  url: jdbc:postgresql://db/baton\ncluster:\n"
        + "  enabled: true\n  node_id: n1\n", FILE).cluster().nodeId()).isEqualTo("n1");
    assertThat(errorsOf("cluster:\n  node_id: \"a b\"\n")).singleElement()
        .satisfies(e -> assertThat(e.toString()).contains("node_id"));
  }

  @Test
  void impossibleValueWhoseMessageNamesNoKeyIsFoundByIsolation() {
    List<ConfigError> errors = errorsOf("agent:\n  turn_timeout_ms: 1000\n  type: \"  \"\n");
    assertThat(errors).containsExactly(new ConfigError(FILE, 3, 9, "`agent.type`: must not be blank."));
  }

  @Test
  void badEnumValueListsTheAllowedOnesAndSuggests() {
    List<ConfigError> errors = errorsOf("""
        agent:
          concurrency:
            overflow_action: return_busy
        sessions:
          id_source: email
        """);
    assertThat(errors).containsExactly(
        new ConfigError(FILE, 3, 22, "`agent.concurrency.overflow_action` must be one of `return_busy_message`,"
            + " `reject`, `drop`, was `return_busy`; did you mean `return_busy_message`?"),
        new ConfigError(FILE, 5, 14,
            "`sessions.id_source` must be one of `user_id`, `chat_id`, `user_and_chat`, was `email`."));
  }

  @Test
  void malformedYamlHasItsPosition() {
    List<ConfigError> errors = errorsOf("""
        agent:
          concurrency:
            max_concurrent_total: [1, 2
        dedup:
          window_ms: 5
        """);
    assertThat(errors).singleElement().satisfies(e -> {
      assertThat(e.file()).isEqualTo(FILE);
      assertThat(e.line()).isEqualTo(4);
      assertThat(e.column()).isEqualTo(6);
      assertThat(e.message()).startsWith("malformed YAML: ");
    });
  }

  @Test
  void badIndentationIsMalformedYaml() {
    List<ConfigError> errors = errorsOf("agent:\n  type: echo\n    turn_timeout_ms: 5\n");
    assertThat(errors).singleElement().satisfies(e -> {
      assertThat(e.line()).isEqualTo(3);
      assertThat(e.column()).isEqualTo(20);
      assertThat(e.message()).contains("mapping values are not allowed here");
    });
  }

  @Test
  void duplicateKeyIsAnErrorAtTheSecondOccurrence() {
    List<ConfigError> errors = errorsOf("""
        agent:
          turn_timeout_ms: 1000
          type: echo
          turn_timeout_ms: 2000
        """);
    assertThat(errors).containsExactly(new ConfigError(FILE, 4, 3,
        "`agent.turn_timeout_ms` is given twice (first at line 2); each key may appear once."));
  }

  @Test
  void environmentVariablesAreSubstitutedAndNeverShown() {
    BatonConfig c = loader.parse("admin:\n  token: ${ADMIN_TOKEN}\nserver:\n  port: ${PORT}\n", FILE);
    assertThat(c.admin().token()).isEqualTo("s3cr3t-t0ken-s3cr3t-t0ken-s3cr3t-t0ken");
    assertThat(c.server().port()).isEqualTo(9090);
    assertThat(c.toString()).doesNotContain("s3cr3t-t0ken");
    assertThat(loader.parse("admin:\n  token: \"$${LITERAL}-0123456789-0123456789-0123\"\n", FILE).admin().token())
        .isEqualTo("${LITERAL}-0123456789-0123456789-0123");
  }

  @Test
  void missingEnvironmentVariableIsAnErrorAtItsValue() {
    List<ConfigError> errors = errorsOf("admin:\n  token: ${NOT_SET_ANYWHERE}\n");
    assertThat(errors).containsExactly(new ConfigError(FILE, 2, 10,
        "`admin.token` uses the environment variable `NOT_SET_ANYWHERE`, which is not set; set it or change the"
            + " value."));
  }

  @Test
  void valuesFromTheEnvironmentAreNotEchoedInErrors() {
    ConfigLoader l = new ConfigLoader(Map.of("LIMIT", "hunter2-secret", "NEG", "-12345"));
    ConfigException e = catchThrowableOfType(ConfigException.class, () -> l.parse("""
        agent:
          concurrency:
            max_concurrent_total: ${LIMIT}
            queue_timeout_ms: ${NEG}
        """, FILE));
    assertThat(e.getMessage()).doesNotContain("hunter2-secret").doesNotContain("-12345");
    assertThat(e.errors()).extracting(ConfigError::line).containsExactly(3, 4);
    assertThat(e.errors().get(1).message()).contains("${NEG}");
  }

  @Test
  void allErrorsAreCollectedInFileOrder() {
    List<ConfigError> errors = errorsOf("""
        sessions:
          id_source: nobody
        agent:
          turn_timeout_ms: 0
          concurrency:
            max_queue: 3
        dedup:
          window_ms: soon
        """);
    assertThat(errors).extracting(ConfigError::line).containsExactly(2, 4, 6, 8);
    assertThat(errors.get(1).message()).isEqualTo("`agent.turn_timeout_ms` must be a positive number, was 0.");
  }

  @Test
  void missingFileIsOneClearError(@TempDir Path dir) {
    Path missing = dir.resolve("nope.yaml");
    assertThatThrownBy(() -> loader.load(missing)).isInstanceOf(ConfigException.class)
        .hasMessage(missing + ":1:1: the file does not exist; pass the path of a baton.yaml.");
  }

  @Test
  void loadsFromAFileAndNamesItInErrors(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("baton.yaml");
    Files.writeString(f, GUIDE_SNIPPET + "bogus: 1\n");
    ConfigException e = catchThrowableOfType(ConfigException.class, () -> loader.load(f));
    assertThat(e.errors()).singleElement().hasToString(f + ":16:1: unknown top-level key `bogus`; allowed keys"
        + " are `sessions`, `agent`, `dedup`, `ordering`, `storage`, `server`, `channels`, `admin`, `tools`, `cluster`, `telemetry`.");
    Files.writeString(f, GUIDE_SNIPPET);
    assertThat(loader.load(f).agent().concurrency().maxConcurrentTotal()).isEqualTo(50);
  }

  @Test
  void topLevelTypoIsSuggested() {
    assertThat(errorsOf("sesions:\n  id_source: chat_id\n")).containsExactly(
        new ConfigError(FILE, 1, 1, "unknown top-level key `sesions`; did you mean `sessions`?"));
  }

  @Test
  void camelCaseKeyIsPointedToItsSnakeCaseName() {
    assertThat(errorsOf("agent:\n  turnTimeoutMs: 5\n")).containsExactly(
        new ConfigError(FILE, 2, 3, "unknown key `turnTimeoutMs` in `agent`; did you mean `turn_timeout_ms`?"));
  }

  @Test
  void tabIndentationIsMalformedYamlAtTheTab() {
    assertThat(errorsOf("agent:\n\tturn_timeout_ms: 5\n")).singleElement().satisfies(e -> {
      assertThat(e.line()).isEqualTo(2);
      assertThat(e.column()).isEqualTo(1);
      assertThat(e.message()).startsWith("malformed YAML: ");
    });
  }

  @Test
  void twoDocumentsInOneFileAreRejected() {
    assertThat(errorsOf("agent:\n  type: echo\n---\ndedup:\n  window_ms: 5\n")).singleElement()
        .satisfies(e -> {
          assertThat(e.line()).isEqualTo(3);
          assertThat(e.message()).startsWith("malformed YAML: ");
        });
  }

  @Test
  void anchorsAndAliasesWork() {
    BatonConfig c = loader.parse("""
        agent:
          turn_timeout_ms: &t 45000
          tool_call_timeout_ms: *t
        """, FILE);
    assertThat(c.agent().toolCallTimeoutMs()).isEqualTo(45_000);
  }

  @Test
  void topLevelMustBeASection() {
    assertThat(errorsOf("- a\n- b\n")).singleElement()
        .satisfies(e -> assertThat(e.message()).startsWith("`baton.yaml` must be a section").isNotNull());
  }

  @Test
  void anAdminTokenShorterThan32BytesIsRefusedWithItsPosition() {
    List<ConfigError> errors = errorsOf("server:\n  port: 1\nadmin:\n  token: short-token\n");
    assertThat(errors).hasSize(1);
    assertThat(errors.getFirst().line()).isBetween(3, 4);
    assertThat(errors.getFirst().message()).contains("admin.token must be at least 32 bytes").doesNotContain("short-token");
  }

  @Test
  void declaredChatsAndTheChatsClaimAreRead() {
    BatonConfig c = loader.parse("""
        channels:
          api:
            jwt:
              hs256_secret: 0123456789abcdef0123456789abcdef
              chats_claim: rooms
            chats:
              general: [alice, bob]
        """, FILE);
    assertThat(c.channels().api().jwt().chatsClaim()).isEqualTo("rooms");
    assertThat(c.channels().api().declaresMember("general", "bob")).isTrue();
    assertThat(c.channels().api().declaresMember("general", "mallory")).isFalse();
    assertThat(c.channels().api().declaresMember("alice", "alice")).isFalse();
  }

  @Test
  void anAskPeerThatIsNoSessionKeyIsAConfigError() {
    List<ConfigError> errors = errorsOf("tools:\n  ask_peers:\n    support: bob\n");
    assertThat(errors).hasSize(1);
    assertThat(errors.getFirst().message()).contains("peer 'support'").contains("api:u:bob");
  }

  @Test
  void declaresTellsAGivenKeyFromADefault(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    java.nio.file.Path f = dir.resolve("baton.yaml");
    java.nio.file.Files.writeString(f, "storage:\n  pool_size: 4\n");
    assertThat(ConfigLoader.declares(f, "storage", "backend")).isFalse();
    java.nio.file.Files.writeString(f, "storage:\n  backend: memory\n");
    assertThat(ConfigLoader.declares(f, "storage", "backend")).isTrue();
  }
}
