package dev.baton.config;

import java.util.Objects;

/**
 * The whole of {@code baton.yaml}, immutable and validated (STYLE 2). Keys are the snake_case forms of the
 * record components; every key has a default ({@link #defaults()}).
 */
public record BatonConfig(
    @Doc("How sessions are identified and isolated.") SessionsConfig sessions,
    @Doc("The agent, its concurrency limits, timeouts and deadlock detection.") AgentConfig agent,
    @Doc("Deduplication of deliveries (P2).") DedupConfig dedup,
    @Doc("Ordering of each session's messages (P9).") OrderingConfig ordering,
    @Doc("Where journal, state and outbox are kept.") StorageConfig storage,
    @Doc("The HTTP server of `baton serve`.") ServerConfig server,
    @Doc("Chat platforms and the HTTP message API.") ChannelsConfig channels,
    @Doc("The admin API.") AdminConfig admin,
    @Doc("The tool runtime.") ToolsConfig tools,
    @Doc("Several nodes on one database.") ClusterConfig cluster,
    @Doc("OpenTelemetry tracing (docs/tracing.md).") TelemetryConfig telemetry) {

  /** Without {@code telemetry} (tracing off), as before it existed. */
  public BatonConfig(SessionsConfig sessions, AgentConfig agent, DedupConfig dedup, OrderingConfig ordering,
      StorageConfig storage, ServerConfig server, ChannelsConfig channels, AdminConfig admin, ToolsConfig tools,
      ClusterConfig cluster) {
    this(sessions, agent, dedup, ordering, storage, server, channels, admin, tools, cluster, TelemetryConfig.defaults());
  }

  public BatonConfig {
    Objects.requireNonNull(sessions, "sessions");
    Objects.requireNonNull(agent, "agent");
    Objects.requireNonNull(dedup, "dedup");
    Objects.requireNonNull(ordering, "ordering");
    Objects.requireNonNull(storage, "storage");
    Objects.requireNonNull(server, "server");
    Objects.requireNonNull(channels, "channels");
    Objects.requireNonNull(admin, "admin");
    Objects.requireNonNull(tools, "tools");
    Objects.requireNonNull(cluster, "cluster");
    Objects.requireNonNull(telemetry, "telemetry");
    if (cluster.enabled() && storage.backend() == StorageConfig.Backend.MEMORY) {
      throw new IllegalArgumentException(
          "cluster.enabled is true, so storage.backend must be postgres or sqlite: the nodes of a cluster share one"
              + " database (memory is one process's)");
    }
  }

  public static BatonConfig defaults() {
    return new BatonConfig(SessionsConfig.defaults(), AgentConfig.defaults(), DedupConfig.defaults(),
        OrderingConfig.defaults(), StorageConfig.defaults(), ServerConfig.defaults(), ChannelsConfig.defaults(),
        AdminConfig.defaults(), ToolsConfig.defaults(), ClusterConfig.defaults(), TelemetryConfig.defaults());
  }

  public BatonConfig withTools(ToolsConfig t) {
    return new BatonConfig(sessions, agent, dedup, ordering, storage, server, channels, admin, t, cluster, telemetry);
  }

  public BatonConfig withAgent(AgentConfig a) {
    return new BatonConfig(sessions, a, dedup, ordering, storage, server, channels, admin, tools, cluster, telemetry);
  }

  public BatonConfig withSessions(SessionsConfig s) {
    return new BatonConfig(s, agent, dedup, ordering, storage, server, channels, admin, tools, cluster, telemetry);
  }

  public BatonConfig withDedup(DedupConfig d) {
    return new BatonConfig(sessions, agent, d, ordering, storage, server, channels, admin, tools, cluster, telemetry);
  }

  public BatonConfig withOrdering(OrderingConfig o) {
    return new BatonConfig(sessions, agent, dedup, o, storage, server, channels, admin, tools, cluster, telemetry);
  }

  public BatonConfig withStorage(StorageConfig s) {
    return new BatonConfig(sessions, agent, dedup, ordering, s, server, channels, admin, tools, cluster, telemetry);
  }

  public BatonConfig withServer(ServerConfig s) {
    return new BatonConfig(sessions, agent, dedup, ordering, storage, s, channels, admin, tools, cluster, telemetry);
  }

  public BatonConfig withChannels(ChannelsConfig c) {
    return new BatonConfig(sessions, agent, dedup, ordering, storage, server, c, admin, tools, cluster, telemetry);
  }

  public BatonConfig withAdmin(AdminConfig a) {
    return new BatonConfig(sessions, agent, dedup, ordering, storage, server, channels, a, tools, cluster, telemetry);
  }

  public BatonConfig withCluster(ClusterConfig c) {
    return new BatonConfig(sessions, agent, dedup, ordering, storage, server, channels, admin, tools, c, telemetry);
  }

  public BatonConfig withTelemetry(TelemetryConfig t) {
    return new BatonConfig(sessions, agent, dedup, ordering, storage, server, channels, admin, tools, cluster, t);
  }
}
