package dev.baton.cli.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.config.BatonConfig;
import dev.baton.config.ConfigDocs;
import dev.baton.config.ConfigLoader;
import dev.baton.spi.BatonJson;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/*
 * Overview: the configuration of one gateway of the hostile scenario, built in code as baton.yaml text and
 * loaded by the real ConfigLoader (so it is validated like any file). Every key it sets must be one this build
 * documents (ConfigDocs): a renamed key fails the scenario instead of silently not being set.
 */
final class HostileConfig {

  /** A bound the hostile scenario sets small so that an attacker reaches it quickly. */
  enum Bound {
    /** Queued messages in total. */
    QUEUED_TOTAL("agent.concurrency.max_queued_total"),
    /** Live sessions per user. */
    SESSIONS_PER_USER("sessions.max_live_per_user"),
    /** Concurrent long polls ({@code GET /v1/replies}) per user. */
    LONG_POLLS_PER_USER("channels.api.max_polls_per_user"),
    /** Undelivered replies kept per user (the oldest is dropped and marked delivered). */
    OUTBOX_PER_USER("channels.api.reply_buffer");

    final String name;

    Bound(String name) {
      this.name = name;
    }


  }

  /** Every key this build documents. */
  static final Set<String> KNOWN = ConfigDocs.rows().stream().map(ConfigDocs.Row::key)
      .collect(Collectors.toUnmodifiableSet());

  private static final ObjectMapper JSON = BatonJson.MAPPER;

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

  /**
   * Sets {@code key}. A key this build does not document is a programming error here, not a key to skip: a
   * silently dropped bound would make its attack's check pass without testing anything.
   */
  HostileConfig set(String key, Object value) {
    if (!KNOWN.contains(key)) throw new IllegalStateException("the hostile scenario sets `" + key + "`, which"
        + " this build does not document");
    keys.put(key, value);
    return this;
  }

  /** Sets {@code bound} to {@code value}; returns it. */
  long bound(Bound bound, long value) {
    set(bound.name, value);
    return value;
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

  /** Which key each bound uses, for the report. */
  static Map<String, String> boundKeys() {
    Map<String, String> out = new LinkedHashMap<>();
    for (Bound b : Bound.values()) out.put(b.name().toLowerCase(java.util.Locale.ROOT), b.name);
    return out;
  }
}
