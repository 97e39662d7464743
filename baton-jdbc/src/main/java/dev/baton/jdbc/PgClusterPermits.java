package dev.baton.jdbc;

import dev.baton.spi.ClusterPermits;
import dev.baton.spi.Scheduler;
import dev.baton.spi.StoreException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;

/*
 * Overview. The cluster-wide cap on PostgreSQL (migration V2): permits are the rows 1..clusterMax of
 * cluster_permits, each held by at most one node (owner) until expires_at; cluster_nodes holds each node's
 * heartbeat (what it could use, what it held after its last heartbeat, when the heartbeat lapses). One
 * rebalance is one transaction on its own pool connection (not the group-commit writer: it may wait briefly
 * on another node's row locks, which must not hold up this node's ingests):
 *   1. upsert the node's row (demand capped by localMax, never below inUse; expires_at = now + ttl);
 *   2. create slots 1..clusterMax that do not exist yet;
 *   3. give back the node's slots above clusterMax (the cap was lowered) and renew its other slots;
 *   4. read the live nodes and compute the target (see target());
 *   5. give back held - target of its slots (highest first), or take target - held free or expired slots
 *      (lowest first) with FOR UPDATE SKIP LOCKED, so nodes rebalancing together neither wait for each other
 *      nor take the same slot;
 *   6. record held in the node's row, and forget nodes whose heartbeat lapsed (SKIP LOCKED too).
 *
 * Concurrency. Thread-safe; each call is one READ COMMITTED transaction. A slot is one row with one owner,
 * and it changes owner only when it is free (NULL) or expired, under its row lock, so no permit is ever held
 * by two nodes. Lock order (own node row, then slots ascending) and SKIP LOCKED when touching other nodes'
 * rows leave one possible wait: renewing a node's own expired slot that another node is taking at that
 * moment (step 3 waits for that commit, then skips the slot, which is no longer its). lock_timeout bounds it.
 *
 * Failure. Any SQL error rolls the transaction back and becomes a StoreException: the node's permits stay as
 * they were and lapse after their ttl unless a later heartbeat renews them.
 */
final class PgClusterPermits implements ClusterPermits {

  /** Longest wait for another node's row lock (step 3, or first creation of the slots). */
  private static final String LOCK_TIMEOUT = "SET LOCAL lock_timeout = '10s'";

  private final DataSource pool;
  private final Scheduler scheduler;

  PgClusterPermits(DataSource pool, Scheduler scheduler) {
    this.pool = pool;
    this.scheduler = scheduler;
  }

  /**
   * The rule. {@code wants = max(inUse, min(demand, localMax))}. Another live node <em>waits</em> if it wants
   * more than it holds and holds less than the fair share {@code fair = max(1, clusterMax / active)}, where
   * {@code active} counts the live nodes that want at least one permit. If no other node waits, the target is
   * {@code wants} (a node may hold more than its fair share while nobody else is short of theirs); if one
   * waits, it is {@code max(inUse, min(wants, fair))}: unused permits above the fair share go back. The
   * target is never below {@code inUse} and never above {@code max(inUse, localMax)}; what is taken is also
   * bounded by the free slots, so the nodes together never hold more than {@code clusterMax}.
   */
  static int target(int wants, int inUse, int fair, boolean othersWait) {
    return othersWait ? Math.max(inUse, Math.min(wants, fair)) : wants;
  }

  static int fair(int clusterMax, int active) {
    return Math.max(1, clusterMax / Math.max(1, active));
  }

  @Override
  public int rebalance(String node, int demand, int inUse, int localMax, int clusterMax, Duration ttl) {
    if (node.isEmpty()) throw new IllegalArgumentException("node must not be empty");
    if (demand < 0 || inUse < 0 || localMax < 0) {
      throw new IllegalArgumentException("demand, inUse and localMax must not be negative");
    }
    if (clusterMax < 1) throw new IllegalArgumentException("clusterMax must be at least 1");
    if (ttl.isNegative() || ttl.isZero()) throw new IllegalArgumentException("ttl must be positive");
    Instant t = scheduler.now();
    long now = Codec.nanos(t);
    long until = Codec.nanos(t.plus(ttl));
    int wants = Math.max(inUse, Math.min(demand, localMax));
    return inTransaction(c -> {
      upsertNode(c, node, wants, until);
      ensureSlots(c, clusterMax);
      update(c, "UPDATE cluster_permits SET owner = NULL, expires_at = 0 WHERE owner = ? AND slot > ?",
          node, clusterMax);
      List<Integer> mine = renew(c, node, clusterMax, until);
      int active = 0;
      boolean othersWait = false;
      List<int[]> others = new ArrayList<>();
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT node, demand, held FROM cluster_nodes WHERE expires_at > ?")) {
        ps.setLong(1, now);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            if (rs.getInt(2) > 0) active++;
            if (!rs.getString(1).equals(node)) others.add(new int[] {rs.getInt(2), rs.getInt(3)});
          }
        }
      }
      int fair = fair(clusterMax, active);
      for (int[] o : others) othersWait |= o[0] > o[1] && o[1] < fair;
      int target = target(wants, inUse, fair, othersWait);
      int held = mine.size();
      if (held > target) {
        giveBack(c, node, mine.subList(target, held));
        held = target;
      } else if (held < target) {
        held += take(c, node, target - held, clusterMax, now, until);
      }
      update(c, "UPDATE cluster_nodes SET held = ? WHERE node = ?", held, node);
      try (PreparedStatement ps = c.prepareStatement("DELETE FROM cluster_nodes WHERE node IN (SELECT node"
          + " FROM cluster_nodes WHERE expires_at <= ? FOR UPDATE SKIP LOCKED)")) {
        ps.setLong(1, now);
        ps.executeUpdate();
      }
      return held;
    });
  }

  @Override
  public void leave(String node) {
    inTransaction(c -> {
      update(c, "DELETE FROM cluster_nodes WHERE node = ?", node);
      return update(c, "UPDATE cluster_permits SET owner = NULL, expires_at = 0 WHERE owner = ?", node);
    });
  }

  private static void upsertNode(Connection c, String node, int wants, long until) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO cluster_nodes (node, demand, held, expires_at)"
        + " VALUES (?, ?, 0, ?) ON CONFLICT (node) DO UPDATE SET demand = excluded.demand,"
        + " expires_at = excluded.expires_at")) {
      ps.setString(1, node);
      ps.setInt(2, wants);
      ps.setLong(3, until);
      ps.executeUpdate();
    }
  }

  /** Creates the missing slots of 1..clusterMax, in ascending order (so two creators cannot deadlock). */
  private static void ensureSlots(Connection c, int clusterMax) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM cluster_permits WHERE slot <= ?")) {
      ps.setInt(1, clusterMax);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        if (rs.getInt(1) == clusterMax) return;
      }
    }
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO cluster_permits (slot, owner, expires_at)"
        + " SELECT g, NULL, 0 FROM generate_series(1, ?) g ORDER BY g ON CONFLICT (slot) DO NOTHING")) {
      ps.setInt(1, clusterMax);
      ps.executeUpdate();
    }
  }

  /** Renews the node's slots (also expired ones nobody took yet); returns them, lowest first. */
  private static List<Integer> renew(Connection c, String node, int clusterMax, long until) throws SQLException {
    List<Integer> mine = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement("UPDATE cluster_permits SET expires_at = ?"
        + " WHERE owner = ? AND slot <= ? RETURNING slot")) {
      ps.setLong(1, until);
      ps.setString(2, node);
      ps.setInt(3, clusterMax);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) mine.add(rs.getInt(1));
      }
    }
    mine.sort(null);
    return mine;
  }

  private static void giveBack(Connection c, String node, List<Integer> slots) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("UPDATE cluster_permits SET owner = NULL, expires_at = 0"
        + " WHERE owner = ? AND slot = ANY (?)")) {
      ps.setString(1, node);
      ps.setArray(2, c.createArrayOf("integer", slots.toArray()));
      ps.executeUpdate();
    }
  }

  /** Takes up to {@code n} free or expired slots, skipping those another transaction holds. */
  private static int take(Connection c, String node, int n, int clusterMax, long now, long until)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("UPDATE cluster_permits SET owner = ?, expires_at = ?"
        + " WHERE slot IN (SELECT slot FROM cluster_permits WHERE slot <= ? AND (owner IS NULL OR expires_at <= ?)"
        + " ORDER BY slot LIMIT ? FOR UPDATE SKIP LOCKED)")) {
      ps.setString(1, node);
      ps.setLong(2, until);
      ps.setInt(3, clusterMax);
      ps.setLong(4, now);
      ps.setInt(5, n);
      return ps.executeUpdate();
    }
  }

  private static int update(Connection c, String sql, Object... args) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < args.length; i++) ps.setObject(i + 1, args[i]);
      return ps.executeUpdate();
    }
  }

  private <T> T inTransaction(GroupCommitWriter.Work<T> work) {
    try (Connection c = pool.getConnection()) {
      c.setAutoCommit(false);
      try {
        Dialect.exec(c, LOCK_TIMEOUT);
        T result = work.run(c);
        c.commit();
        c.setAutoCommit(true);
        return result;
      } catch (SQLException | RuntimeException e) {
        try {
          c.rollback();
          c.setAutoCommit(true);
        } catch (SQLException broken) {
          e.addSuppressed(broken); // the pool discards a broken connection
        }
        throw e;
      }
    } catch (SQLException e) {
      throw new StoreException("cluster permits: " + e.getMessage(), e);
    }
  }
}
