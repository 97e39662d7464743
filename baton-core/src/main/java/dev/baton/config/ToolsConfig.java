package dev.baton.config;

import java.util.Map;

/** {@code tools:} (owned by the tool-runtime work; extend here). */
public record ToolsConfig(
    @Doc("Root folder of per-session workspaces and the shared folder.") String workspaceRoot,
    @Doc("How long tool-call results are kept for idempotency (ms).") long idempotencyRetentionMs,
    @Doc("Peers the `ask` tool may address: peer name → target session key (e.g. `support: api:u:bob`)."
        + " Agents name peers, never session keys (P1); an unknown name is refused.")
    Map<String, String> askPeers,
    @Doc("Limits per tool name (`<name>: {max_concurrent, calls_per_minute}`), so a slow external API is not hit"
        + " by every turn at once. A name no registered tool has stops start-up.") Map<String, ToolLimit> limits) {

  /** {@code tools.limits.<name>:} */
  public record ToolLimit(
      @Doc("Calls of this tool that may run at once in this process; more wait in FIFO order within their"
          + " deadline. 0 = unlimited.") int maxConcurrent,
      @Doc("Calls of this tool that may start per minute in this process, spaced 60/N s apart (no burst); a call"
          + " waits for its turn within its deadline, else fails with `rate_limited`. 0 = no limit.")
          int callsPerMinute) {

    public ToolLimit {
      Checks.nonNegative("max_concurrent", maxConcurrent);
      Checks.nonNegative("calls_per_minute", callsPerMinute);
    }

    public static ToolLimit defaults() {
      return new ToolLimit(0, 0);
    }
  }

  public ToolsConfig {
    java.util.Objects.requireNonNull(workspaceRoot, "workspace_root");
    Checks.positive("idempotency_retention_ms", idempotencyRetentionMs);
    askPeers = Map.copyOf(java.util.Objects.requireNonNull(askPeers, "ask_peers"));
    limits = Map.copyOf(java.util.Objects.requireNonNull(limits, "limits"));
    for (String name : limits.keySet()) {
      if (name.isBlank()) throw new IllegalArgumentException("limits: a tool name must not be blank");
    }
    for (Map.Entry<String, String> e : askPeers.entrySet()) {
      if (e.getKey().isBlank()) throw new IllegalArgumentException("ask_peers: a peer name must not be blank");
      if (e.getValue().isBlank()) {
        throw new IllegalArgumentException("ask_peers: peer '" + e.getKey() + "' has a blank session key");
      }
      try {
        dev.baton.SessionKey.parse(e.getValue());
      } catch (IllegalArgumentException bad) {
        throw new IllegalArgumentException("ask_peers: peer '" + e.getKey() + "': " + bad.getMessage());
      }
    }
  }

  /** Without ask peers. */
  public ToolsConfig(String workspaceRoot, long idempotencyRetentionMs) {
    this(workspaceRoot, idempotencyRetentionMs, Map.of());
  }

  /** Without tool limits. */
  public ToolsConfig(String workspaceRoot, long idempotencyRetentionMs, Map<String, String> askPeers) {
    this(workspaceRoot, idempotencyRetentionMs, askPeers, Map.of());
  }

  public static ToolsConfig defaults() {
    return new ToolsConfig("baton-data/workspaces", 86_400_000L, Map.of(), Map.of());
  }

  public ToolsConfig withLimits(Map<String, ToolLimit> l) {
    return new ToolsConfig(workspaceRoot, idempotencyRetentionMs, askPeers, l);
  }
}
