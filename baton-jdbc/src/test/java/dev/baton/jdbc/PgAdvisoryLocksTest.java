package dev.baton.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.baton.config.StorageConfig;
import dev.baton.spi.ClusterLocks;
import dev.baton.spi.ClusterLocks.Claim;
import dev.baton.spi.ClusterLocks.ClusterLockTimeoutException;
import dev.baton.spi.ClusterLocks.Held;
import dev.baton.testing.ManualScheduler;
import dev.baton.testing.TestThreads;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cross-node tool locks on a real PostgreSQL: two store instances on one database are two nodes. Time (the
 * deadline and the backoff between attempts) comes from a ManualScheduler, so every wait ends when the test
 * says.
 */
class PgAdvisoryLocksTest {
  static final Duration REAL_TIME_LIMIT = Duration.ofSeconds(20);
  private static final AtomicInteger KEYS = new AtomicInteger();

  final ManualScheduler clock = new ManualScheduler();
  final List<JdbcStore> stores = new ArrayList<>();
  final TestThreads threads = new TestThreads();
  // Advisory locks are per database, and every test's schema shares the one test database: unique keys.
  final String a = "test-file:a-" + KEYS.incrementAndGet();
  final String b = "test-file:b-" + KEYS.incrementAndGet();
  int poolSize;

  @AfterEach
  void tearDown() throws InterruptedException {
    try {
      threads.joinAll(REAL_TIME_LIMIT);
    } finally {
      for (JdbcStore s : stores) s.close();
    }
  }

  /** Two nodes on one fresh schema, on the test's clock. */
  ClusterLocks[] twoNodes() {
    StorageConfig c = PgServer.freshSchema();
    poolSize = c.poolSize();
    JdbcStore n1 = PostgresStore.openWithoutRetention(c, clock);
    stores.add(n1);
    JdbcStore n2 = PostgresStore.openWithoutRetention(c, clock);
    stores.add(n2);
    return new ClusterLocks[] {n1.clusterLocks().orElseThrow(), n2.clusterLocks().orElseThrow()};
  }

  Instant in(Duration d) {
    return clock.now().plus(d);
  }

  static List<Claim> x(String... keys) {
    return java.util.Arrays.stream(keys).map(k -> new Claim(k, true)).toList();
  }

  static List<Claim> s(String... keys) {
    return java.util.Arrays.stream(keys).map(k -> new Claim(k, false)).toList();
  }

  @Test
  void theLockIdOfAKeyIsFixed() {
    // Nodes of different versions must agree: pinned values (first 8 bytes of SHA-256("baton:" + key)).
    assertThat(PgAdvisoryLocks.lockId("shared-file:notes.txt")).isEqualTo(-3817037816373980893L);
    assertThat(PgAdvisoryLocks.lockId("shared-counter:c")).isEqualTo(4979314774514929933L);
    assertThat(PgAdvisoryLocks.lockId("")).isEqualTo(284291216095279482L);
    Set<Long> ids = new HashSet<>();
    for (int i = 0; i < 10_000; i++) ids.add(PgAdvisoryLocks.lockId("k:" + i));
    assertThat(ids).as("distinct keys, distinct ids").hasSize(10_000);
  }

  @Test
  void sqliteOffersNoClusterLocks(@TempDir Path dir) {
    JdbcStore sqlite = SqliteStore.openWithoutRetention(StorageConfig.sqlite(dir.resolve("b.db").toString()), clock);
    stores.add(sqlite);
    assertThat(sqlite.clusterLocks()).isEmpty();
  }

  @Test
  void sharedClaimsOfTwoNodesAreHeldTogetherAndExclusiveExcludesThem() throws Exception {
    ClusterLocks[] n = twoNodes();
    Held r1 = n[0].acquire(s(a), in(Duration.ofSeconds(1)));
    Held r2 = n[1].acquire(s(a), in(Duration.ofSeconds(1)));
    assertThat(advisoryLocksOn(a)).as("both nodes hold a shared").isEqualTo(2);
    // Deadline already here: one attempt, refused, no waiting.
    assertThatThrownBy(() -> n[0].acquire(x(a), clock.now()))
        .isInstanceOf(ClusterLockTimeoutException.class).hasMessageContaining(a);
    r1.close();
    assertThatThrownBy(() -> n[0].acquire(x(a), clock.now())).isInstanceOf(ClusterLockTimeoutException.class);
    r2.close();
    r2.close(); // idempotent
    Held w = n[0].acquire(x(a), clock.now());
    assertThatThrownBy(() -> n[1].acquire(s(a), clock.now())).isInstanceOf(ClusterLockTimeoutException.class);
    assertThatThrownBy(() -> n[1].acquire(x(a), clock.now())).isInstanceOf(ClusterLockTimeoutException.class);
    w.close();
    n[1].acquire(x(a), clock.now()).close();
    assertThat(advisoryLocksOn(a)).isZero();
  }

  @Test
  void noClaimsTakeNoConnection() throws Exception {
    ClusterLocks[] n = twoNodes();
    List<Held> none = new ArrayList<>();
    for (int i = 0; i < poolSize + 1; i++) none.add(n[0].acquire(List.of(), clock.now()));
    n[0].acquire(x(a), clock.now()).close(); // the pool is untouched
    none.forEach(Held::close);
  }

  @Test
  void aRefusedAttemptReleasesWhatItTookBeforeBackingOff() throws Exception {
    ClusterLocks[] n = twoNodes();
    Held holdsB = n[1].acquire(x(b), clock.now());
    assertThatThrownBy(() -> n[0].acquire(x(a, b), clock.now())).isInstanceOf(ClusterLockTimeoutException.class)
        .hasMessageContaining(b).hasMessageNotContaining(a);
    assertThat(advisoryLocksOn(a)).as("a, taken in the refused attempt, was given back").isZero();
    holdsB.close();
  }

  @Test
  void aWaiterBacksOffOnTheSchedulerAndGetsTheLockOnceItIsFree() throws Exception {
    ClusterLocks[] n = twoNodes();
    Held first = n[0].acquire(x(a), clock.now());
    AtomicReference<Held> got = new AtomicReference<>();
    Thread waiter = threads.spawn("waiter", () -> got.set(n[1].acquire(x(a), in(Duration.ofSeconds(10)))));
    until("the waiter backs off", () -> clock.pending() > 0);
    clock.advance(PgAdvisoryLocks.BACKOFF_MAX); // one more refused attempt
    until("it backs off again", () -> clock.pending() > 0);
    assertThat(got.get()).isNull();
    first.close();
    drive(waiter);
    assertThat(got.get()).isNotNull();
    assertThat(advisoryLocksOn(a)).isEqualTo(1);
    got.get().close();
    assertThat(advisoryLocksOn(a)).isZero();
  }

  @Test
  void aCrossNodeCycleEndsAtTheDeadlinesAndLeavesNothingLocked() throws Exception {
    ClusterLocks[] n = twoNodes();
    // Node 1's call holds a and wants b; node 2's call holds b and wants a. Each call takes its second lock
    // in a second acquire, as two calls of one turn would: the SPI itself never waits holding anything.
    Held n1a = n[0].acquire(x(a), clock.now());
    Held n2b = n[1].acquire(x(b), clock.now());
    AtomicReference<Throwable> r1 = new AtomicReference<>(), r2 = new AtomicReference<>();
    AtomicReference<Held> n2a = new AtomicReference<>();
    Thread t1 = threads.spawn("node1", () -> {
      try {
        n[0].acquire(x(b), in(Duration.ofSeconds(1))).close();
      } catch (ClusterLockTimeoutException e) {
        r1.set(e);
      } finally {
        n1a.close(); // node 1's call ends: everything it held goes
      }
    });
    Thread t2 = threads.spawn("node2", () -> {
      try {
        n2a.set(n[1].acquire(x(a), in(Duration.ofSeconds(5))));
      } catch (ClusterLockTimeoutException e) {
        r2.set(e);
      }
    });
    until("both back off", () -> clock.pending() >= 2);
    Instant start = clock.now();
    // To node 1's deadline, by steps of the backoff while both back off, and not one step once node 1 gave up:
    // its finally releases `a` in real time, and steps taken meanwhile spend node 2's deadline (a fresh-clone CI
    // run saw node 2 time out that way).
    while (t1.isAlive()) {
      until("both back off, or node 1 gave up", () -> r1.get() != null || !t1.isAlive() || clock.pending() >= 2);
      if (r1.get() != null || !t1.isAlive()) break;
      clock.advance(PgAdvisoryLocks.BACKOFF_MAX);
    }
    t1.join();
    assertThat(r1.get()).isInstanceOf(ClusterLockTimeoutException.class).hasMessageContaining(b);
    assertThat(Duration.between(start, clock.now())).isGreaterThanOrEqualTo(Duration.ofSeconds(1));
    drive(t2);
    assertThat(r2.get()).as("node 2 proceeds once node 1 gave up").isNull();
    assertThat(n2a.get()).isNotNull();
    n2a.get().close();
    n2b.close();
    assertThat(advisoryLocksOn(a)).isZero();
    assertThat(advisoryLocksOn(b)).isZero();
  }

  @Test
  void interruptionWhileBackingOffReleasesEverything() throws Exception {
    ClusterLocks[] n = twoNodes();
    Held holdsB = n[1].acquire(x(b), clock.now());
    AtomicReference<Throwable> outcome = new AtomicReference<>();
    Thread waiter = threads.spawn("waiter", () -> {
      try {
        n[0].acquire(x(a, b), in(Duration.ofSeconds(10))).close();
      } catch (InterruptedException e) {
        outcome.set(e);
      }
    });
    until("the waiter backs off", () -> clock.pending() > 0);
    waiter.interrupt();
    waiter.join(REAL_TIME_LIMIT);
    assertThat(outcome.get()).isInstanceOf(InterruptedException.class);
    assertThat(advisoryLocksOn(a)).isZero();
    holdsB.close();
    assertThat(advisoryLocksOn(b)).isZero();
    // And the connection went back: the pool still serves as many calls as it has connections.
    List<Held> all = new ArrayList<>();
    for (int i = 0; i < poolSize; i++) all.add(n[0].acquire(x(a + i), clock.now()));
    all.forEach(Held::close);
  }

  @Test
  void aCallFindingEveryLockConnectionInUseWaitsLikeForABusyLockAndTimesOut() throws Exception {
    ClusterLocks[] n = twoNodes();
    int size = poolSize;
    List<Held> all = new ArrayList<>();
    for (int i = 0; i < size; i++) all.add(n[0].acquire(x(a + "-" + i), clock.now()));
    assertThatThrownBy(() -> n[0].acquire(x(b), clock.now())).isInstanceOf(ClusterLockTimeoutException.class)
        .hasMessageContaining("no connection for cluster locks");
    AtomicReference<Held> got = new AtomicReference<>();
    Thread waiter = threads.spawn("waiter", () -> got.set(n[0].acquire(x(b), in(Duration.ofSeconds(10)))));
    until("the waiter backs off", () -> clock.pending() > 0);
    all.removeFirst().close();
    drive(waiter);
    assertThat(got.get()).isNotNull();
    got.get().close();
    all.forEach(Held::close);
  }

  @Test
  void underRealConcurrencyWritersAreAloneAndReadersShare() throws Exception {
    // Real threads on the real clock (backoff included); 3 threads on each of 2 nodes, mixed accesses.
    StorageConfig c = PgServer.freshSchema();
    JdbcStore n1 = PostgresStore.openWithoutRetention(c, dev.baton.spi.Scheduler.system());
    stores.add(n1);
    JdbcStore n2 = PostgresStore.openWithoutRetention(c, dev.baton.spi.Scheduler.system());
    stores.add(n2);
    ClusterLocks[] n = {n1.clusterLocks().orElseThrow(), n2.clusterLocks().orElseThrow()};
    AtomicInteger readers = new AtomicInteger(), writers = new AtomicInteger();
    AtomicInteger writes = new AtomicInteger(), reads = new AtomicInteger();
    List<String> violations = new CopyOnWriteArrayList<>();
    java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(6);
    for (int t = 0; t < 6; t++) {
      ClusterLocks node = n[t % 2];
      int seed = t;
      threads.spawn("t" + t, () -> {
        java.util.Random rnd = new java.util.Random(seed);
        start.await();
        for (int i = 0; i < 25; i++) {
          boolean exclusive = rnd.nextInt(3) == 0;
          Instant deadline = dev.baton.spi.Scheduler.system().now().plus(Duration.ofSeconds(30));
          try (Held h = node.acquire(List.of(new Claim(a, exclusive)), deadline)) {
            if (exclusive) {
              if (writers.incrementAndGet() != 1 || readers.get() != 0) violations.add("writer not alone");
              Thread.yield();
              writers.decrementAndGet();
              writes.incrementAndGet();
            } else {
              readers.incrementAndGet();
              if (writers.get() != 0) violations.add("reader beside a writer");
              Thread.yield();
              readers.decrementAndGet();
              reads.incrementAndGet();
            }
          }
        }
      });
    }
    threads.joinAll(REAL_TIME_LIMIT);
    assertThat(violations).isEmpty();
    assertThat(writes.get() + reads.get()).isEqualTo(6 * 25);
    assertThat(advisoryLocksOn(a)).isZero();
  }

  /** Moves time on by steps of the longest backoff whenever a waiter is armed, until {@code t} ended. */
  void drive(Thread t) throws InterruptedException {
    while (t.isAlive()) {
      until("a waiter is armed or " + t.getName() + " ended", () -> clock.pending() > 0 || !t.isAlive());
      clock.advance(PgAdvisoryLocks.BACKOFF_MAX);
    }
    t.join();
  }

  /** How many sessions hold the advisory lock of {@code key} now. */
  static int advisoryLocksOn(String key) throws SQLException {
    long id = PgAdvisoryLocks.lockId(key);
    int n = 0;
    try (Connection c = PgServer.get().getPostgresDatabase().getConnection(); Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT classid::bigint, objid::bigint FROM pg_locks"
            + " WHERE locktype = 'advisory' AND objsubid = 1 AND granted")) {
      while (rs.next()) {
        if (((rs.getLong(1) << 32) | rs.getLong(2)) == id) n++;
      }
    }
    return n;
  }


  static void until(String what, BooleanSupplier cond) {
    long end = System.nanoTime() + REAL_TIME_LIMIT.toNanos();
    while (!cond.getAsBoolean()) {
      if (System.nanoTime() > end) throw new AssertionError("timed out waiting for: " + what);
      Thread.onSpinWait();
      Thread.yield();
    }
  }

}
