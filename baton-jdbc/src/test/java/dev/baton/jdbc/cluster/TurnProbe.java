package dev.baton.jdbc.cluster;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Watches running turns across the nodes of a cluster from the inside: the agent of every node records the
 * start and the end of each turn in the cluster's own PostgreSQL, so the test can count how many turns ran at
 * once, cluster-wide and per session, without trusting any node's view.
 *
 * <p>{@code probe_running} holds the turns running now, one row per (node, message). Each start, end or kill
 * is one transaction serialized by one transaction-scoped advisory lock, and appends a row to
 * {@code probe_log} with the counts as they stand just after it: {@code total} (turns running anywhere),
 * {@code on_node} (turns running on the event's node) and {@code others} (the other turns of the same session running then, as {@code node:message}). Because every
 * probe transaction holds the same lock until it commits, the log's {@code seq} order is the order of the
 * events and its counts are exact, not sampled.
 *
 * <p>A turn is probed from inside the agent, so its probe interval lies within the engine's hold of the
 * turn's permit and session lease: a count above the cap means the engine let more turns run than allowed.
 *
 * <p>Thread-safe: a small pool of connections, one per concurrent call.
 */
final class TurnProbe implements AutoCloseable {

  private static final long LOCK = 0x0ba7_0e_c1L;

  private final BlockingQueue<Connection> pool;
  /** Runs the probe's SQL, so an interrupted turn (cancelled by the engine) still records its end exactly. */
  private final ExecutorService sql = Executors.newCachedThreadPool(Thread.ofPlatform().daemon(true).factory());

  TurnProbe(String url, int connections) throws SQLException {
    pool = new ArrayBlockingQueue<>(connections);
    for (int i = 0; i < connections; i++) {
      Connection c = DriverManager.getConnection(url, "postgres", "");
      c.setAutoCommit(false);
      pool.add(c);
    }
  }

  /** Creates the probe's tables in the schema of {@code url}. */
  static void createTables(String url) throws SQLException {
    try (Connection c = DriverManager.getConnection(url, "postgres", ""); Statement s = c.createStatement()) {
      s.execute("CREATE TABLE probe_running (node TEXT NOT NULL, session TEXT NOT NULL, msg TEXT NOT NULL,"
          + " PRIMARY KEY (node, msg))");
      s.execute("CREATE TABLE probe_log (seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, node TEXT NOT NULL,"
          + " session TEXT NOT NULL, msg TEXT NOT NULL, phase TEXT NOT NULL, total INT NOT NULL, on_node INT NOT NULL,"
          + " others TEXT NOT NULL, at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp())");
    }
  }

  /**
   * A turn of {@code session} answering {@code msg} starts on {@code node}.
   *
   * @return how many turns answering {@code msg} started before this one, on any node
   */
  int start(String node, String session, String msg) throws SQLException {
    int[] earlier = new int[1];
    inLock(c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT count(*) FROM probe_log WHERE msg = ? AND phase = 'start'")) {
        ps.setString(1, msg);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          earlier[0] = rs.getInt(1);
        }
      }
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO probe_running (node, session, msg) VALUES (?,?,?)")) {
        ps.setString(1, node);
        ps.setString(2, session);
        ps.setString(3, msg);
        ps.executeUpdate();
      }
      log(c, node, session, msg, "start");
    });
    return earlier[0];
  }

  /** The turn of {@code session} answering {@code msg} on {@code node} returned (or threw). */
  void end(String node, String session, String msg) throws SQLException {
    inLock(c -> {
      try (PreparedStatement ps = c.prepareStatement("DELETE FROM probe_running WHERE node = ? AND msg = ?")) {
        ps.setString(1, node);
        ps.setString(2, msg);
        ps.executeUpdate();
      }
      log(c, node, session, msg, "end");
    });
  }

  /**
   * {@code node} was killed and is confirmed dead: its turns stopped running. Removes them and logs a
   * {@code killed} event (the test calls this, not the node).
   */
  void killed(String node) throws SQLException {
    inLock(c -> {
      try (PreparedStatement ps = c.prepareStatement("DELETE FROM probe_running WHERE node = ?")) {
        ps.setString(1, node);
        ps.executeUpdate();
      }
      log(c, node, "-", "-", "killed");
    });
  }

  private static void log(Connection c, String node, String session, String msg, String phase) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO probe_log (node, session, msg, phase, total, on_node,"
        + " others) SELECT ?, ?, ?, ?, (SELECT count(*) FROM probe_running),"
        + " (SELECT count(*) FROM probe_running WHERE node = ?),"
        + " (SELECT coalesce(string_agg(node || ':' || msg, ',' ORDER BY node, msg), '') FROM probe_running"
        + "  WHERE session = ? AND NOT (node = ? AND msg = ?))")) {
      ps.setString(1, node);
      ps.setString(2, session);
      ps.setString(3, msg);
      ps.setString(4, phase);
      ps.setString(5, node);
      ps.setString(6, session);
      ps.setString(7, node);
      ps.setString(8, msg);
      ps.executeUpdate();
    }
  }

  private interface Tx {
    void run(Connection c) throws SQLException;
  }

  /**
   * Runs {@code tx} under the probe's lock on a probe thread and waits for it without giving in to interrupts
   * (then re-asserted): an event is recorded, or the call throws, but it is never left half done.
   */
  private void inLock(Tx tx) throws SQLException {
    Future<?> done = sql.submit(() -> {
      inLockHere(tx);
      return null;
    });
    boolean interrupted = false;
    try {
      while (true) {
        try {
          done.get();
          return;
        } catch (InterruptedException e) {
          interrupted = true;
        } catch (ExecutionException e) {
          if (e.getCause() instanceof SQLException sqlException) throw sqlException;
          throw new IllegalStateException("probe failed", e.getCause());
        }
      }
    } finally {
      if (interrupted) Thread.currentThread().interrupt();
    }
  }

  private void inLockHere(Tx tx) throws SQLException, InterruptedException {
    Connection c = pool.take();
    try {
      try (PreparedStatement ps = c.prepareStatement("SELECT pg_advisory_xact_lock(?)")) {
        ps.setLong(1, LOCK);
        ps.execute();
      }
      tx.run(c);
      c.commit();
    } catch (SQLException | RuntimeException e) {
      c.rollback();
      throw e;
    } finally {
      pool.add(c);
    }
  }

  @Override
  public void close() throws SQLException {
    sql.shutdown();
    for (Connection c : pool) c.close();
  }
}
