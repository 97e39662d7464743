package dev.baton.config;

/** {@code tools:} (owned by the tool-runtime work; extend here). */
public record ToolsConfig(
    @Doc("Root folder of per-session workspaces and the shared folder.") String workspaceRoot,
    @Doc("How long tool-call results are kept for idempotency (ms).") long idempotencyRetentionMs) {

  public ToolsConfig {
    java.util.Objects.requireNonNull(workspaceRoot, "workspace_root");
    Checks.positive("idempotency_retention_ms", idempotencyRetentionMs);
  }

  public static ToolsConfig defaults() {
    return new ToolsConfig("baton-data/workspaces", 86_400_000L);
  }
}
