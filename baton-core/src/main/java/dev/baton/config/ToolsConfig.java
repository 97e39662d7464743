package dev.baton.config;

import java.util.Map;

/** {@code tools:} (owned by the tool-runtime work; extend here). */
public record ToolsConfig(
    @Doc("Root folder of per-session workspaces and the shared folder.") String workspaceRoot,
    @Doc("How long tool-call results are kept for idempotency (ms).") long idempotencyRetentionMs,
    @Doc("Peers the `ask` tool may address: peer name → target session key (e.g. `support: api:u:bob`)."
        + " Agents name peers, never session keys (P1); an unknown name is refused.")
    Map<String, String> askPeers) {

  public ToolsConfig {
    java.util.Objects.requireNonNull(workspaceRoot, "workspace_root");
    Checks.positive("idempotency_retention_ms", idempotencyRetentionMs);
    askPeers = Map.copyOf(java.util.Objects.requireNonNull(askPeers, "ask_peers"));
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

  public static ToolsConfig defaults() {
    return new ToolsConfig("baton-data/workspaces", 86_400_000L, Map.of());
  }
}
