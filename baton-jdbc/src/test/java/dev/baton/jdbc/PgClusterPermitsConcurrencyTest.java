package dev.baton.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.config.StorageConfig;
import dev.baton.spi.ClusterPermits;
import dev.baton.testing.ManualScheduler;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The cap under real concurrency: six nodes (two node names on each of three store instances, each with its
 * own pool) heartbeat from their own threads with random demand and running turns, starting a turn only
 * with a permit in hand, while a checker reads the tables. At no moment do the nodes run more turns than the
 * cap, a node's permits are never fewer than its running turns, and what a heartbeat returns is exactly
 * what the table says the node owns.
 */
class PgClusterPermitsConcurrencyTest {

  static final int MAX = 9;
  static final int LOCAL_MAX = 6;
  static final int ROUNDS = 120;
  static final long WAIT_S = 60;
  /** Long enough that no permit lapses during the run: every lapse here would be a bug. */
  static final Duration TTL = Duration.ofHours(1);

  final ManualScheduler clock = new ManualScheduler();
  final StorageConfig config = PgServer.freshSchema();
  final List<JdbcStore> stores = new ArrayList<>();

  @AfterEach
  void closeAll() {
    for (JdbcStore s : stores) s.close();
  }

  @Test
  void nodesRebalancingTogetherNeverExceedTheCapNorTakeBackRunningTurns() throws Exception {
    for (int i = 0; i < 3; i++) stores.add(PostgresStore.openWithoutRetention(config, clock));
    JdbcStore reader = stores.getFirst();
    AtomicInteger running = new AtomicInteger(); // turns running across the cluster
    AtomicInteger peak = new AtomicInteger();
    ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
    CountDownLatch start = new CountDownLatch(1);
    AtomicBoolean nodesDone = new AtomicBoolean();
    List<Thread> nodes = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      String node = "n" + i;
      ClusterPermits permits = stores.get(i % 3).clusterPermits().orElseThrow();
      SplittableRandom random = new SplittableRandom(i * 7919L);
      nodes.add(Thread.ofPlatform().name(node).start(() -> {
        try {
          start.await();
          int inUse = 0;
          for (int round = 0; round < ROUNDS; round++) {
            int demand = inUse + random.nextInt(8);
            int held = permits.rebalance(node, demand, inUse, LOCAL_MAX, MAX, TTL);
            assertThat(held).as("%s holds at least its running turns", node).isGreaterThanOrEqualTo(inUse);
            assertThat(held).as("%s holds at most its own cap", node).isLessThanOrEqualTo(LOCAL_MAX);
            assertThat(ownedBy(reader, node)).as("rows %s owns", node).isEqualTo(held);
            int ended = random.nextInt(inUse + 1);
            inUse -= ended;
            running.addAndGet(-ended);
            int starting = Math.min(held - inUse, random.nextInt(4));
            for (int s = 0; s < starting; s++) {
              int now = running.incrementAndGet();
              peak.accumulateAndGet(now, Math::max);
              assertThat(now).as("turns running in the cluster").isLessThanOrEqualTo(MAX);
              inUse++;
            }
          }
          running.addAndGet(-inUse);
          permits.leave(node);
        } catch (Throwable t) {
          errors.add(t);
        }
      }));
    }
    Thread checker = Thread.ofPlatform().name("checker").start(() -> {
      try {
        start.await();
        int checks = 0;
        while (!nodesDone.get() || checks == 0) {
          checkTables(reader);
          clock.advance(Duration.ofMillis(1)); // time moves, far less than the ttl in all
          checks++;
        }
      } catch (Throwable t) {
        errors.add(t);
      }
    });
    start.countDown();
    for (Thread t : nodes) assertThat(t.join(Duration.ofSeconds(WAIT_S))).as(t.getName() + " finished").isTrue();
    nodesDone.set(true);
    assertThat(checker.join(Duration.ofSeconds(WAIT_S))).as("checker finished").isTrue();
    assertThat(errors).isEmpty();
    assertThat(peak.get()).as("the run reached the cap").isEqualTo(MAX);
    assertThat(running.get()).isZero();
    checkTables(reader);
    assertThat(ownedBy(reader, "")).as("every node left: nothing held").isZero();
  }

  @Test
  void lateRenewalsRacingTakeoversOfExpiredPermitsNeverShareOne() throws Exception {
    for (int i = 0; i < 3; i++) stores.add(PostgresStore.openWithoutRetention(config, clock));
    JdbcStore reader = stores.getFirst();
    int nodes = 5;
    for (int iteration = 0; iteration < 15; iteration++) {
      // Every permit lapses: the old holders renew late while the others try to take them, all at once.
      clock.advance(Duration.ofSeconds(2));
      CyclicBarrier together = new CyclicBarrier(nodes);
      ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
      int[] held = new int[nodes];
      List<Thread> threads = new ArrayList<>();
      for (int i = 0; i < nodes; i++) {
        int n = i;
        ClusterPermits permits = stores.get(i % 3).clusterPermits().orElseThrow();
        threads.add(Thread.ofPlatform().start(() -> {
          try {
            together.await(WAIT_S, TimeUnit.SECONDS);
            held[n] = permits.rebalance("n" + n, MAX, 0, MAX, MAX, Duration.ofSeconds(1));
          } catch (Throwable t) {
            errors.add(t);
          }
        }));
      }
      for (Thread t : threads) assertThat(t.join(Duration.ofSeconds(WAIT_S))).isTrue();
      assertThat(errors).isEmpty();
      int total = 0;
      for (int i = 0; i < nodes; i++) {
        assertThat(ownedBy(reader, "n" + i)).as("rows n%d owns", i).isEqualTo(held[i]);
        total += held[i];
      }
      // Nothing lapses between the heartbeats and this check (the clock stands still), so all are valid now.
      assertThat(total).as("permits held").isLessThanOrEqualTo(MAX);
      assertThat(total).as("permits held").isGreaterThan(0);
      checkTables(reader);
    }
  }

  /**
   * In one snapshot (one statement): no slot above the cap is held, the nodes' recorded holdings add up to at
   * most the cap, and each node's recorded holding is the number of slots it owns.
   */
  static void checkTables(JdbcStore reader) {
    reader.read(c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT n.node, n.held,"
              + " (SELECT count(*) FROM cluster_permits p WHERE p.owner = n.node),"
              + " (SELECT count(*) FROM cluster_permits p WHERE p.owner IS NOT NULL AND p.slot > " + MAX + ")"
              + " FROM cluster_nodes n");
          ResultSet rs = ps.executeQuery()) {
        int total = 0;
        while (rs.next()) {
          assertThat(rs.getInt(3)).as("slots %s owns", rs.getString(1)).isEqualTo(rs.getInt(2));
          assertThat(rs.getInt(4)).as("slots above the cap held").isZero();
          total += rs.getInt(2);
        }
        assertThat(total).as("permits held in the cluster").isLessThanOrEqualTo(MAX);
      }
      return null;
    });
  }

  /** Slots owned by {@code node} (by any node, if empty), expired or not. */
  static int ownedBy(JdbcStore reader, String node) {
    return reader.read(c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT count(*) FROM cluster_permits WHERE owner = ? OR (? = '' AND owner IS NOT NULL)")) {
        ps.setString(1, node);
        ps.setString(2, node);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          return rs.getInt(1);
        }
      }
    });
  }
}
