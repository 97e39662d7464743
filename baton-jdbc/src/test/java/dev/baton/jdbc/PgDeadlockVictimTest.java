package dev.baton.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.baton.spi.StoreException;
import dev.baton.testing.ManualScheduler;
import dev.baton.testing.TestThreads;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * When PostgreSQL's own deadlock detector picks a store transaction as its victim (SQLSTATE 40P01), the
 * group-commit writer runs it again (bounded); other failures are not retried. Store writes never form such a
 * cycle by themselves (keys and sessions are locked in order); the test builds one on purpose with two writes
 * that lock two rows in opposite orders, on the writer's two connections.
 */
class PgDeadlockVictimTest {
  static final long LIMIT_S = 30;

  JdbcStore store;
  final TestThreads threads = new TestThreads();

  @BeforeEach
  void setUp() {
    store = PostgresStore.openWithoutRetention(PgServer.freshSchema(), new ManualScheduler()); // 2 writers
    store.write("", c -> {
      try (Statement s = c.createStatement()) {
        s.execute("CREATE TABLE pair (id int PRIMARY KEY, v int NOT NULL)");
        return s.executeUpdate("INSERT INTO pair VALUES (1, 0), (2, 0)");
      }
    });
  }

  @AfterEach
  void tearDown() throws InterruptedException {
    try {
      threads.joinAll(Duration.ofSeconds(LIMIT_S));
    } finally {
      store.close();
    }
  }

  @Test
  void aDeadlockVictimIsRunAgainAndBothWritesLand() throws Exception {
    CountDownLatch firstHoldsRow1 = new CountDownLatch(1), secondHoldsRow2 = new CountDownLatch(1);
    AtomicInteger runs = new AtomicInteger();
    AtomicBoolean firstRun1 = new AtomicBoolean(true), firstRun2 = new AtomicBoolean(true);
    threads.spawn("first", () -> store.write("a", c -> {
      runs.incrementAndGet();
      try (Statement s = c.createStatement()) {
        s.execute("SET LOCAL deadlock_timeout = '50ms'");
        s.executeUpdate("UPDATE pair SET v = v + 1 WHERE id = 1");
        if (firstRun1.getAndSet(false)) {
          firstHoldsRow1.countDown();
          await(secondHoldsRow2);
        }
        return s.executeUpdate("UPDATE pair SET v = v + 1 WHERE id = 2");
      }
    }));
    await(firstHoldsRow1); // the first write runs on one writer; the second goes to the other
    threads.spawn("second", () -> store.write("b", c -> {
      runs.incrementAndGet();
      try (Statement s = c.createStatement()) {
        s.execute("SET LOCAL deadlock_timeout = '50ms'");
        s.executeUpdate("UPDATE pair SET v = v + 10 WHERE id = 2");
        if (firstRun2.getAndSet(false)) secondHoldsRow2.countDown();
        return s.executeUpdate("UPDATE pair SET v = v + 10 WHERE id = 1");
      }
    }));
    threads.joinAll(Duration.ofSeconds(LIMIT_S)); // fails if either caller saw the deadlock
    assertThat(runs.get()).as("one of them ran twice: PostgreSQL's victim, run again").isEqualTo(3);
    assertThat(values()).as("both writes landed, each once").containsExactly(11, 11);
  }

  @Test
  void aVictimOfEveryAttemptFailsAfterTheBoundWithNothingWritten() {
    AtomicInteger runs = new AtomicInteger();
    assertThatThrownBy(() -> store.write("a", c -> {
      runs.incrementAndGet();
      try (Statement s = c.createStatement()) {
        s.executeUpdate("UPDATE pair SET v = v + 1 WHERE id = 1");
      }
      throw new SQLException("deadlock detected", "40P01");
    })).isInstanceOf(StoreException.class);
    assertThat(runs.get()).isEqualTo(GroupCommitWriter.ATTEMPTS_ALONE);
    assertThat(values()).containsExactly(0, 0);
  }

  @Test
  void otherFailuresAreNotRunAgain() {
    AtomicInteger runs = new AtomicInteger();
    assertThatThrownBy(() -> store.write("a", c -> {
      runs.incrementAndGet();
      throw new SQLException("duplicate key", "23505");
    })).isInstanceOf(StoreException.class);
    assertThat(runs.get()).isEqualTo(1);
  }

  List<Integer> values() {
    return store.read(c -> {
      List<Integer> out = new ArrayList<>();
      try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT v FROM pair ORDER BY id")) {
        while (rs.next()) out.add(rs.getInt(1));
      }
      return out;
    });
  }

  static void await(CountDownLatch l) throws SQLException {
    try {
      if (!l.await(LIMIT_S, TimeUnit.SECONDS)) throw new SQLException("test latch not reached");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SQLException(e);
    }
  }


}
