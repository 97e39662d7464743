package dev.baton.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import dev.baton.testing.MapSessionState;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.SessionKey;
import dev.baton.TurnContext;
import dev.baton.config.BatonConfig;
import dev.baton.config.StorageConfig;
import dev.baton.config.ToolsConfig;
import dev.baton.spi.Scheduler;
import dev.baton.spi.tool.ToolCall;
import dev.baton.spi.tool.ToolResult;
import dev.baton.testing.TestThreads;
import dev.baton.tools.Access;
import dev.baton.tools.BatonTools;
import dev.baton.tools.Resource;
import dev.baton.tools.Tool;
import dev.baton.tools.ToolContext;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tool locks across nodes, end to end: two PostgresStore instances on one database are two nodes, each with
 * its own tool runtime (its own lock manager and wait-for graph) given its store's cluster locks. Real
 * threads wait on real PostgreSQL here, so deadlines are on the system clock; the test itself never sleeps,
 * it waits on latches and joins.
 */
class ClusterToolLocksTest {
  static final Duration REAL_TIME_LIMIT = Duration.ofSeconds(60);
  private static final AtomicInteger NAMES = new AtomicInteger();

  @TempDir Path dir;
  StorageConfig storage;
  final List<JdbcStore> stores = new ArrayList<>();
  final List<BatonTools> runtimes = new ArrayList<>();
  final TestThreads threads = new TestThreads();
  final AtomicLong turns = new AtomicLong();
  // Advisory locks are per database and all test schemas share one: names unique to this test.
  final String name = "c" + NAMES.incrementAndGet() + "-" + System.identityHashCode(this);
  String table;

  @BeforeEach
  void setUp() throws SQLException {
    storage = PgServer.freshSchema();
    table = "counter_" + name.replace('-', '_');
    sql("CREATE TABLE " + table + " (v bigint NOT NULL)", "INSERT INTO " + table + " VALUES (0)");
  }

  @AfterEach
  void tearDown() throws InterruptedException {
    try {
      threads.joinAll(REAL_TIME_LIMIT);
    } finally {
      runtimes.forEach(BatonTools::close);
      stores.forEach(JdbcStore::close);
    }
  }

  /**
   * {@code bump}: reads the counter row, works a little, writes it back plus one - a read-modify-write with a
   * real window, guarded only by its exclusive lock on {@code counter:<name>}.
   */
  final Tool bump = new Base("bump") {
    @Override
    public List<Resource> resources(JsonNode args, ToolContext ctx) {
      return List.of(Resource.of("counter", args.get("name").asText(), Access.EXCLUSIVE));
    }

    @Override
    public JsonNode execute(JsonNode args, ToolContext ctx) throws SQLException {
      try (Connection c = PgServer.get().getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
        long v;
        try (ResultSet rs = s.executeQuery("SELECT v FROM " + qualified())) {
          rs.next();
          v = rs.getLong(1);
        }
        // Work between the read and the write (a few ms of server CPU), so unguarded calls really overlap.
        s.executeQuery("SELECT count(*) FROM generate_series(1, 50000)").close();
        Thread.yield();
        s.executeUpdate("UPDATE " + qualified() + " SET v = " + (v + 1));
        return ctx.json().objectNode().put("was", v);
      }
    }
  };

  /** {@code hold}: takes {@code lock} with the access given and stays inside until the test lets it go. */
  final Map<String, CountDownLatch> inside = new ConcurrentHashMap<>();
  final CountDownLatch letGo = new CountDownLatch(1);
  final Tool hold = new Base("hold") {
    @Override
    public List<Resource> resources(JsonNode args, ToolContext ctx) {
      return List.of(Resource.of("test", args.get("lock").asText(), Access.valueOf(args.get("access").asText())));
    }

    @Override
    public JsonNode execute(JsonNode args, ToolContext ctx) throws InterruptedException {
      inside.computeIfAbsent(args.get("id").asText(), k -> new CountDownLatch(1)).countDown();
      letGo.await();
      return ctx.json().objectNode();
    }
  };

  /** {@code chain}: holds {@code first} (declared), waits until both chains hold theirs, then locks {@code second}. */
  final CyclicBarrier bothHoldFirst = new CyclicBarrier(2);
  final Tool chain = new Base("chain") {
    @Override
    public List<Resource> resources(JsonNode args, ToolContext ctx) {
      return List.of(Resource.of("test", args.get("first").asText(), Access.EXCLUSIVE));
    }

    @Override
    public JsonNode execute(JsonNode args, ToolContext ctx) throws Exception {
      bothHoldFirst.await();
      ctx.lock(Resource.of("test", args.get("second").asText(), Access.EXCLUSIVE));
      return ctx.json().objectNode();
    }
  };

  /** A node: its own store on the shared database and its own tool runtime on that store's cluster locks. */
  BatonTools node(boolean clusterLocks) {
    JdbcStore store = PostgresStore.openWithoutRetention(storage, Scheduler.system());
    stores.add(store);
    BatonConfig c = BatonConfig.defaults();
    c = c.withTools(new ToolsConfig(dir.toString(), 3_600_000));
    BatonTools.Builder b = BatonTools.builder().config(c).scheduler(Scheduler.system()).builtIns(false)
        .tool(bump).tool(hold).tool(chain).idempotencyRecords(store.idempotency());
    if (clusterLocks) b.clusterLocks(store.clusterLocks().orElseThrow());
    BatonTools t = b.build();
    runtimes.add(t);
    return t;
  }

  ToolResult call(BatonTools node, String session, Duration left, String tool, String json)
      throws InterruptedException {
    TurnContext turn = new TurnContext((session.indexOf(':') > 0 ? SessionKey.parse(session) : SessionKey.user("api", session)), session, List.of("m"), "trace",
        turns.incrementAndGet(), Scheduler.system().now().plus(left));
    return node.bind(turn, new MapSessionState()).call(ToolCall.of(tool, json));
  }

  @Test
  void concurrentReadModifyWritesFromTwoNodesLoseNoUpdate() throws Exception {
    long calls = bumpFromTwoNodes(true);
    assertThat(counter()).as("every increment of both nodes survived").isEqualTo(calls);
    assertThat(PgAdvisoryLocksTest.advisoryLocksOn("counter:" + name)).isZero();
  }

  /** The control: the same load with node-local locks only loses updates, so the test above can fail. */
  @Test
  void withoutClusterLocksTheSameLoadLosesUpdates() throws Exception {
    long calls = bumpFromTwoNodes(false);
    assertThat(counter()).as("the race is real: without cluster locks updates are lost").isLessThan(calls);
  }

  /** Two nodes, two threads each, all bumping one counter at once; returns how many calls succeeded. */
  long bumpFromTwoNodes(boolean clusterLocks) throws Exception {
    BatonTools[] nodes = {node(clusterLocks), node(clusterLocks)};
    int threadsPerNode = 2, callsPerThread = 15;
    CyclicBarrier start = new CyclicBarrier(nodes.length * threadsPerNode);
    List<ToolResult> results = new CopyOnWriteArrayList<>();
    for (int n = 0; n < nodes.length; n++) {
      for (int t = 0; t < threadsPerNode; t++) {
        BatonTools node = nodes[n];
        String session = "api:u:n" + n + "t" + t;
        threads.spawn(session, () -> {
          start.await();
          for (int i = 0; i < callsPerThread; i++) {
            results.add(call(node, session, Duration.ofSeconds(30), "bump", "{\"name\":\"" + name + "\"}"));
          }
        });
      }
    }
    threads.joinAll(REAL_TIME_LIMIT);
    assertThat(results).hasSize(nodes.length * threadsPerNode * callsPerThread)
        .allSatisfy(r -> assertThat(r).isInstanceOf(ToolResult.Ok.class));
    return results.size();
  }

  @Test
  void sharedHoldersOnTwoNodesAreInsideTogetherAndAnExclusiveCallWaitsForThem() throws Exception {
    BatonTools n1 = node(true), n2 = node(true);
    String lock = name + "-s";
    ToolResult[] r = new ToolResult[4];
    threads.spawn("reader1", () -> r[0] = call(n1, "api:u:r1", Duration.ofSeconds(30), "hold", holdArgs("r1", lock, "SHARED")));
    threads.spawn("reader2", () -> r[1] = call(n2, "api:u:r2", Duration.ofSeconds(30), "hold", holdArgs("r2", lock, "SHARED")));
    latch("r1").await();
    latch("r2").await(); // both readers are inside at once, one on each node
    assertThat(PgAdvisoryLocksTest.advisoryLocksOn("test:" + lock)).isEqualTo(2);
    // An exclusive call with a short deadline on node 1, whose own reader holds the lock: timeout, not in.
    r[2] = call(n1, "api:u:w1", Duration.ofMillis(300), "hold", holdArgs("w1", lock, "EXCLUSIVE"));
    assertThat(r[2]).isInstanceOf(ToolResult.Failed.class);
    assertThat(((ToolResult.Failed) r[2]).code()).isEqualTo("timeout");
    assertThat(inside).doesNotContainKey("w1");
    // A third node with no local holder at all: only the cluster lock keeps it out.
    BatonTools n3 = node(true);
    r[3] = call(n3, "api:u:w3", Duration.ofMillis(300), "hold", holdArgs("w3", lock, "EXCLUSIVE"));
    assertThat(((ToolResult.Failed) r[3]).code()).isEqualTo("timeout");
    assertThat(inside).doesNotContainKey("w3");
    letGo.countDown();
    threads.joinAll(REAL_TIME_LIMIT);
    assertThat(r[0]).isInstanceOf(ToolResult.Ok.class);
    assertThat(r[1]).isInstanceOf(ToolResult.Ok.class);
    assertThat(call(n3, "api:u:w3", Duration.ofSeconds(30), "hold", holdArgs("w3b", lock, "EXCLUSIVE")))
        .as("free once the readers left").isInstanceOf(ToolResult.Ok.class);
    assertThat(PgAdvisoryLocksTest.advisoryLocksOn("test:" + lock)).isZero();
  }

  @Test
  void aCrossNodeCycleEndsAtOneCallsDeadlineAndTheOtherProceeds() throws Exception {
    BatonTools n1 = node(true), n2 = node(true);
    String a = name + "-a", b = name + "-b";
    ToolResult[] r = new ToolResult[2];
    // Node 1's call holds a and wants b; node 2's holds b and wants a. Neither node's graph sees a cycle (each
    // sees one call holding one lock); PostgreSQL sees none either (nobody blocks in it). Node 1's deadline
    // ends it.
    Thread t1 = threads.spawn("node1", () -> r[0] = call(n1, "api:u:one", Duration.ofSeconds(1), "chain",
        "{\"first\":\"" + a + "\",\"second\":\"" + b + "\"}"));
    Thread t2 = threads.spawn("node2", () -> r[1] = call(n2, "api:u:two", Duration.ofSeconds(30), "chain",
        "{\"first\":\"" + b + "\",\"second\":\"" + a + "\"}"));
    t1.join(REAL_TIME_LIMIT);
    assertThat(r[0]).isInstanceOf(ToolResult.Failed.class);
    assertThat(((ToolResult.Failed) r[0]).code()).isEqualTo("timeout");
    t2.join(REAL_TIME_LIMIT);
    assertThat(r[1]).as("node 2 proceeds once node 1's call gave up").isInstanceOf(ToolResult.Ok.class);
    assertThat(n1.recentDeadlocks()).isEmpty();
    assertThat(n2.recentDeadlocks()).isEmpty();
    threads.joinAll(REAL_TIME_LIMIT);
    // Node 1's caller was answered at its deadline; its call thread releases a moment later.
    awaitNoAdvisoryLocks(Set.of("test:" + a, "test:" + b));
  }

  /** Every lock gone, waiting for the interrupted holder thread of a timed-out call to finish releasing. */
  void awaitNoAdvisoryLocks(Set<String> keys) throws SQLException {
    long end = System.nanoTime() + REAL_TIME_LIMIT.toNanos();
    for (String k : keys) {
      while (PgAdvisoryLocksTest.advisoryLocksOn(k) > 0) {
        if (System.nanoTime() > end) throw new AssertionError("advisory lock of " + k + " still held");
        Thread.onSpinWait();
      }
    }
  }

  CountDownLatch latch(String id) {
    return inside.computeIfAbsent(id, k -> new CountDownLatch(1));
  }

  static String holdArgs(String id, String lock, String access) {
    return "{\"id\":\"" + id + "\",\"lock\":\"" + lock + "\",\"access\":\"" + access + "\"}";
  }

  /** The counter lives outside the store's schema (which Flyway wants to itself). */
  String qualified() {
    return "public." + table;
  }

  long counter() throws SQLException {
    try (Connection c = PgServer.get().getPostgresDatabase().getConnection(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT v FROM " + qualified())) {
      rs.next();
      return rs.getLong(1);
    }
  }

  void sql(String... statements) throws SQLException {
    try (Connection c = PgServer.get().getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
      for (String q : statements) s.execute(q.replace(table, qualified()));
    }
  }




  abstract static class Base implements Tool {
    private final String name;

    Base(String name) {
      this.name = name;
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public String description() {
      return name;
    }

    @Override
    public String inputSchema() {
      return "{\"type\":\"object\"}";
    }
  }

}
