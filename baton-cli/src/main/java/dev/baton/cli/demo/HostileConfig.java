package dev.baton.cli.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.config.BatonConfig;
import dev.baton.config.ConfigDocs;
import dev.baton.config.ConfigLoader;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/*
 * Overview: the configuration of one gateway of the hostile scenario, built in code as baton.yaml text and
 * loaded by the real ConfigLoader (so it is validated like any file). It is tolerant of the build it runs on:
 * a key is only written when this build documents it (ConfigDocs), so the same scenario runs before and after
 * the bounds of issue 10 exist. The bounds are found by their documented names (BOUND_KEYS: the exact name
 * first, then a pattern over every key), and the report says which key was used or that none exists yet.
 */
final class HostileConfig {

  /** A bound the hostile scenario sets small so that an attacker reaches it quickly. */
  enum Bound {
    /** Queued messages in total ({@code agent.concurrency.max_queued_total}, named in issue 10). */
    QUEUED_TOTAL("agent.concurrency.max_queued_total", "max_queued_total"),
    // TODO(integrator): the three names below are the scenario's guesses; when the bounds branch merges, put
    // the real key first if its name does not match the pattern (the report's load.bound_keys shows the match).
    /** Live sessions per user. */
    SESSIONS_PER_USER("agent.concurrency.max_sessions_per_user", "sessions?_per_user|per_user_sessions?"),
    /** Concurrent long polls ({@code GET /v1/replies}) per user. */
    LONG_POLLS_PER_USER("channels.api.max_long_polls_per_user", "polls?_per_user|per_user_.*polls?"),
    /** Undelivered replies (outbox) per user. */
    OUTBOX_PER_USER("channels.api.max_undelivered_per_user",
        "(outbox|undelivered)[a-z_]*per_user|per_user_[a-z_]*(outbox|undelivered)");

    final String preferred;
    final Pattern pattern;

    Bound(String preferred, String pattern) {
      this.preferred = preferred;
      this.pattern = Pattern.compile(pattern);
    }

    /** The documented key of this bound on this build, if there is one. */
    Optional<String> key() {
      if (KNOWN.contains(preferred)) return Optional.of(preferred);
      return KNOWN.stream().filter(k -> pattern.matcher(k).find()).sorted().findFirst();
    }
  }

  /** Every key this build documents. */
  static final Set<String> KNOWN = ConfigDocs.rows().stream().map(ConfigDocs.Row::key)
      .collect(Collectors.toUnmodifiableSet());

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Map<String, Object> keys = new LinkedHashMap<>();

  /** The demo's engine defaults (echo agent, small gap timeout), the gateway on 127.0.0.1, a free port. */
  static HostileConfig base(String secret, String adminToken) {
    return new HostileConfig()
        .set("agent.type", "echo")
        .set("agent.turn_timeout_ms", 10_000)
        .set("agent.concurrency.max_concurrent_per_session", 1)
        .set("agent.concurrency.max_concurrent_total", 32)
        .set("agent.concurrency.max_queue_per_session", 8)
        .set("agent.concurrency.queue_timeout_ms", 5_000)
        .set("agent.concurrency.overflow_action", "return_busy_message")
        .set("ordering.gap_timeout_ms", 200)
        .set("storage.backend", "memory")
        .set("server.host", "127.0.0.1")
        .set("server.port", 0)
        .set("server.shutdown_drain_ms", 2_000)
        .set("channels.api.enabled", true)
        .set("channels.api.jwt.hs256_secret", secret)
        .set("admin.token", adminToken);
  }

  /** Sets {@code key} when this build knows it (a key that does not exist yet is left out). */
  HostileConfig set(String key, Object value) {
    if (KNOWN.contains(key)) keys.put(key, value);
    return this;
  }

  /** Sets {@code bound} when this build has it; returns the value set, or empty when it has none. */
  Optional<Long> bound(Bound bound, long value) {
    Optional<String> key = bound.key();
    key.ifPresent(k -> keys.put(k, value));
    return key.map(k -> value);
  }

  BatonConfig build(String label) {
    return new ConfigLoader(Map.of()).parse(yaml(), label);
  }

  /** The keys as nested YAML, each value a JSON scalar (valid YAML flow scalars). */
  String yaml() {
    Map<String, Object> tree = new LinkedHashMap<>();
    keys.forEach((dotted, value) -> {
      String[] parts = dotted.split("\\.");
      Map<String, Object> node = tree;
      for (int i = 0; i < parts.length - 1; i++) {
        @SuppressWarnings("unchecked")
        Map<String, Object> child = (Map<String, Object>) node.computeIfAbsent(parts[i], p -> new LinkedHashMap<>());
        node = child;
      }
      node.put(parts[parts.length - 1], value);
    });
    StringBuilder out = new StringBuilder();
    emit(tree, 0, out);
    return out.toString();
  }

  private static void emit(Map<String, Object> node, int depth, StringBuilder out) {
    node.forEach((k, v) -> {
      out.append("  ".repeat(depth)).append(k).append(':');
      if (v instanceof Map<?, ?> m) {
        out.append('\n');
        @SuppressWarnings("unchecked")
        Map<String, Object> child = (Map<String, Object>) m;
        emit(child, depth + 1, out);
      } else {
        out.append(' ').append(scalar(v)).append('\n');
      }
    });
  }

  private static String scalar(Object v) {
    if (v instanceof Number || v instanceof Boolean) return v.toString();
    try {
      return JSON.writeValueAsString(v.toString());
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Which key each bound uses on this build, for the report. */
  static Map<String, String> boundKeys() {
    Map<String, String> out = new LinkedHashMap<>();
    for (Bound b : Bound.values()) {
      out.put(b.name().toLowerCase(java.util.Locale.ROOT), b.key().orElse("(none on this build)"));
    }
    return out;
  }

  static List<String> missingBounds() {
    return java.util.Arrays.stream(Bound.values()).filter(b -> b.key().isEmpty()).map(b -> b.preferred).toList();
  }
}
