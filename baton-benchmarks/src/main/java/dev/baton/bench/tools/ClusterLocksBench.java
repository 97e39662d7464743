package dev.baton.bench.tools;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.testing.MapSessionState;
import dev.baton.SessionKey;
import dev.baton.TurnContext;
import dev.baton.config.StorageConfig;
import dev.baton.jdbc.PostgresStore;
import dev.baton.spi.ClusterLocks;
import dev.baton.spi.Scheduler;
import dev.baton.spi.Store;
import dev.baton.spi.tool.ToolCall;
import dev.baton.spi.tool.ToolResult;
import dev.baton.spi.tool.Tools;
import dev.baton.tools.Access;
import dev.baton.tools.BatonTools;
import dev.baton.tools.Resource;
import dev.baton.tools.Tool;
import dev.baton.tools.ToolContext;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * What cross-node tool locks cost a tool call on PostgreSQL (embedded, loopback): one call of a tool with one
 * exclusive resource and no work, on one node, uncontended.
 *
 * <ul>
 *   <li>{@code callLocalLocksOnly}: the runtime without cluster locks (a single node).
 *   <li>{@code callWithClusterLocks}: the same call with the store's cluster locks (cluster mode).
 *   <li>{@code clusterAcquireRelease}: the advisory lock alone: {@code ClusterLocks.acquire} + {@code close}
 *       of one claim (two round trips on a pooled connection).
 * </ul>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class ClusterLocksBench {
  static final Instant FAR = Instant.parse("2100-01-01T00:00:00Z");

  EmbeddedPostgres pg;
  Store store;
  ClusterLocks locks;
  BatonTools local, clustered;
  Tools localTools, clusteredTools;
  final ToolCall call = ToolCall.of("touch", "{}");
  final List<ClusterLocks.Claim> claim = List.of(new ClusterLocks.Claim("bench:raw", true));

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    pg = EmbeddedPostgres.builder().setServerConfig("max_connections", "100").start();
    store = PostgresStore.open(StorageConfig.postgres(pg.getJdbcUrl("postgres", "postgres"), "postgres", ""),
        Duration.ofHours(1), Scheduler.system());
    locks = store.clusterLocks().orElseThrow();
    local = BatonTools.builder().builtIns(false).tool(new Touch()).build();
    clustered = BatonTools.builder().builtIns(false).tool(new Touch()).clusterLocks(locks).build();
    TurnContext turn = new TurnContext(SessionKey.user("bench", "1"), "bench", List.of("m"), "t", 1, FAR);
    localTools = local.bind(turn, new MapSessionState());
    clusteredTools = clustered.bind(turn, new MapSessionState());
  }

  @TearDown(Level.Trial)
  public void tearDown() throws Exception {
    local.close();
    clustered.close();
    store.close();
    pg.close();
  }

  @Benchmark
  public Object callLocalLocksOnly() throws Exception {
    return check(localTools.call(call));
  }

  @Benchmark
  public Object callWithClusterLocks() throws Exception {
    return check(clusteredTools.call(call));
  }

  @Benchmark
  public Object clusterAcquireRelease() throws Exception {
    ClusterLocks.Held h = locks.acquire(claim, FAR);
    h.close();
    return h;
  }

  private static ToolResult check(ToolResult r) {
    if (!(r instanceof ToolResult.Ok)) throw new IllegalStateException("call failed: " + r);
    return r;
  }

  /** One exclusive resource, no work: what is measured is the locking around the call. */
  static final class Touch implements Tool {
    @Override public String name() { return "touch"; }
    @Override public String description() { return "Touches one resource"; }
    @Override public String inputSchema() { return "{\"type\":\"object\"}"; }
    @Override public List<Resource> resources(JsonNode args, ToolContext ctx) {
      return List.of(Resource.of("bench", "r", Access.EXCLUSIVE));
    }
    @Override public JsonNode execute(JsonNode args, ToolContext ctx) {
      return ctx.json().objectNode();
    }
  }

}
