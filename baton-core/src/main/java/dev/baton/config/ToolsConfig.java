package dev.baton.config;

import java.util.Map;

/** {@code tools:} (owned by the tool-runtime work; extend here). */
public record ToolsConfig(
    @Doc("Root folder of per-session workspaces and the shared folder.") String workspaceRoot,
    @Doc("How long tool-call results are kept for idempotency (ms).") long idempotencyRetentionMs,
    @Doc("Peers the `ask` tool may address: peer name → target session key (e.g. `support: api:u:bob`)."
        + " Agents name peers, never session keys (P1); an unknown name is refused.")
    Map<String, String> askPeers,
    @Doc("Most asks in one chain of agents asking agents (each asked turn's own asks continue its chain): the"
        + " ask that would go past it fails (`loop`) and the chain is reported like a deadlock.") int askMaxHops,
    @Doc("Window of the repeated-cycle check (ms): a chain that runs the same cycle of agents (A→B→C→A) a"
        + " second time within it is an agent loop, found before the hop limit.") long loopWindowMs,
    @Doc("What a repeated cycle of agents does: `fail_newest` (the ask that repeats it fails with `loop`) or"
        + " `report_only` (reported, the ask goes on; the hop limit still ends the chain).") OnLoop onLoop,
    @Doc("Limits per tool name (`<name>: {max_concurrent, calls_per_minute}`), so a slow external API is not hit"
        + " by every turn at once. A name no registered tool has stops start-up.") Map<String, ToolLimit> limits,
    @Doc("MCP servers whose tools are offered to the agents as `<server>.<tool>` (docs/tools.md, MCP).") McpConfig mcp) {

  /** What a chain of asks that repeats a cycle of agents within {@code loop_window_ms} does. */
  public enum OnLoop { FAIL_NEWEST, REPORT_ONLY }

  public static final int DEFAULT_ASK_MAX_HOPS = 8;
  public static final long DEFAULT_LOOP_WINDOW_MS = 60_000;

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
    java.util.Objects.requireNonNull(onLoop, "on_loop");
    Checks.positive("ask_max_hops", askMaxHops);
    if (askMaxHops > 1000) throw new IllegalArgumentException("ask_max_hops must be at most 1000, was " + askMaxHops);
    Checks.positive("loop_window_ms", loopWindowMs);
    java.util.Objects.requireNonNull(workspaceRoot, "workspace_root");
    Checks.positive("idempotency_retention_ms", idempotencyRetentionMs);
    askPeers = Map.copyOf(java.util.Objects.requireNonNull(askPeers, "ask_peers"));
    limits = Map.copyOf(java.util.Objects.requireNonNull(limits, "limits"));
    java.util.Objects.requireNonNull(mcp, "mcp");
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

  /** With these peers, the default loop limits and no tool limits. */
  public ToolsConfig(String workspaceRoot, long idempotencyRetentionMs, Map<String, String> askPeers) {
    this(workspaceRoot, idempotencyRetentionMs, askPeers, DEFAULT_ASK_MAX_HOPS, DEFAULT_LOOP_WINDOW_MS,
        OnLoop.FAIL_NEWEST, Map.of(), McpConfig.defaults());
  }

  /** The same with these loop limits. */
  public ToolsConfig withLoops(int maxHops, long windowMs, OnLoop policy) {
    return new ToolsConfig(workspaceRoot, idempotencyRetentionMs, askPeers, maxHops, windowMs, policy, limits, mcp);
  }

  public static ToolsConfig defaults() {
    return new ToolsConfig("baton-data/workspaces", 86_400_000L, Map.of());
  }

  public ToolsConfig withLimits(Map<String, ToolLimit> l) {
    return new ToolsConfig(workspaceRoot, idempotencyRetentionMs, askPeers, askMaxHops, loopWindowMs, onLoop, l, mcp);
  }

  public ToolsConfig withMcp(McpConfig m) {
    return new ToolsConfig(workspaceRoot, idempotencyRetentionMs, askPeers, askMaxHops, loopWindowMs, onLoop, limits, m);
  }
}
