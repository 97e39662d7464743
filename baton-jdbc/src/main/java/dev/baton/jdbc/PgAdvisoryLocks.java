package dev.baton.jdbc;

import dev.baton.spi.ClusterLocks;
import dev.baton.spi.Scheduler;
import dev.baton.spi.StoreException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;

/*
 * Overview. ClusterLocks on PostgreSQL session-level advisory locks. The locks of one tool call live on one
 * connection that the call holds until Held.close(), borrowed from LockConnections, a small bounded pool of
 * its own (never the readers' or the writers': a long tool call must not starve store reads or commits). A
 * claim's lock id is a 64-bit hash of its key (lockId).
 *
 * One attempt: borrow a connection without waiting (none free counts as "busy", like a held lock), then
 * pg_try_advisory_lock[_shared] each claim in the order given. All taken: the call holds them. One refused:
 * pg_advisory_unlock_all() drops what this attempt took, the connection goes back, and the caller backs off
 * on the injected Scheduler (jittered, doubling from BACKOFF_MIN to BACKOFF_MAX, never past the deadline) and
 * tries again. Nothing ever blocks inside PostgreSQL, so PostgreSQL's deadlock detector never sees a
 * tool-lock cycle: a cycle across nodes ends at a call's deadline (P4).
 *
 * Concurrency. Thread-safe. Each call uses its own connection; a Held is used by the one call that acquired
 * it, and close() is idempotent (an AtomicBoolean). Waiting between attempts blocks on a CompletableFuture
 * the scheduler completes; nothing blocks in PostgreSQL.
 *
 * Failure. An SQL error while acquiring closes the connection (ending its database session releases every
 * lock it held); on a connection that had been idle it is retried at once on another, otherwise it surfaces
 * as a StoreException holding nothing. Interruption: everything is released and InterruptedException thrown
 * (the interrupt status is set aside for the unlock statement, whose socket I/O it would otherwise break).
 * If the connection breaks while the locks are held, PostgreSQL releases them when it notices the session
 * ended: from then on another node may take them while this call still runs. Session state stays safe (a
 * turn commits with its lease's fencing token), and a tool's external side effects are guarded by
 * idempotency keys; the lock alone is not a fence.
 */
final class PgAdvisoryLocks implements ClusterLocks {

  static final Duration BACKOFF_MIN = Duration.ofMillis(5);
  static final Duration BACKOFF_MAX = Duration.ofMillis(200);
  private static final String NAMESPACE = "baton:";

  private final LockConnections connections;
  private final Scheduler scheduler;

  PgAdvisoryLocks(LockConnections connections, Scheduler scheduler) {
    this.connections = connections;
    this.scheduler = scheduler;
  }

  /**
   * The advisory lock id of a resource key: the first 8 bytes (big-endian) of SHA-256 of {@code "baton:" +
   * key} in UTF-8. Stable across processes and versions (nodes of one cluster must agree). Two keys with one
   * id share one lock: calls on them wait for each other more than needed, never less (odds about n²/2⁶⁵ for
   * n keys in use at once).
   */
  static long lockId(String key) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest((NAMESPACE + key).getBytes(StandardCharsets.UTF_8));
      return ByteBuffer.wrap(d, 0, 8).getLong();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  @Override
  public Held acquire(List<Claim> claims, Instant deadline) throws InterruptedException {
    if (claims.isEmpty()) return () -> {}; // nothing to lock: no connection either
    long[] ids = new long[claims.size()];
    for (int i = 0; i < ids.length; i++) ids[i] = lockId(claims.get(i).key());
    long backoffNanos = BACKOFF_MIN.toNanos();
    while (true) {
      if (Thread.interrupted()) throw new InterruptedException("interrupted while taking cluster locks");
      Optional<LockConnections.Lent> lent = borrow();
      String busy = "";
      if (lent.isPresent()) {
        Attempt a = attempt(lent.get(), claims, ids);
        if (a.held != null) return a.held;
        if (a.retryNow) continue;
        busy = a.refused;
      }
      Duration left = Duration.between(scheduler.now(), deadline);
      if (left.isNegative() || left.isZero()) {
        throw new ClusterLockTimeoutException(busy.isEmpty()
            ? "no connection for cluster locks was free within the call's time (storage.pool_size)"
            : "cluster lock " + busy + " was not free within the call's time");
      }
      long jittered = backoffNanos / 2 + ThreadLocalRandom.current().nextLong(backoffNanos / 2 + 1);
      pause(Duration.ofNanos(Math.min(jittered, left.toNanos())));
      backoffNanos = Math.min(backoffNanos * 2, BACKOFF_MAX.toNanos());
    }
  }

  private Optional<LockConnections.Lent> borrow() throws InterruptedException {
    try {
      return connections.tryBorrow();
    } catch (SQLException | RuntimeException e) {
      if (Thread.interrupted()) throw new InterruptedException("interrupted while taking cluster locks");
      throw new StoreException("cannot reach PostgreSQL for cluster locks: " + e.getMessage(), e);
    }
  }

  /** Held, or the key refused, or retry at once (an idle connection had been dropped by the server). */
  private record Attempt(@Nullable HeldLocks held, String refused, boolean retryNow) {}

  /** One try on a lent connection: kept on success, given back (or discarded) otherwise. */
  private Attempt attempt(LockConnections.Lent lent, List<Claim> claims, long[] ids) throws InterruptedException {
    Connection c = lent.connection();
    try {
      for (int i = 0; i < ids.length; i++) {
        if (!tryLock(c, ids[i], claims.get(i).exclusive())) {
          if (unlockAll(c)) connections.giveBack(c); // else unlockAll discarded it: its session is gone
          return new Attempt(null, claims.get(i).key(), false);
        }
      }
      return new Attempt(new HeldLocks(c), "", false);
    } catch (SQLException | RuntimeException e) {
      connections.discard(c); // whatever it took goes with its session
      if (Thread.interrupted()) throw new InterruptedException("interrupted while taking cluster locks");
      if (lent.reused() && e instanceof SQLException) return new Attempt(null, "", true);
      throw new StoreException("cluster lock query failed: " + e.getMessage(), e);
    }
  }

  private static boolean tryLock(Connection c, long id, boolean exclusive) throws SQLException {
    String sql = exclusive ? "SELECT pg_try_advisory_lock(?)" : "SELECT pg_try_advisory_lock_shared(?)";
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setLong(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getBoolean(1);
      }
    }
  }

  /**
   * Releases every session-level advisory lock of the connection (all of them belong to this call). On
   * failure discards it instead (its session ends, which releases them) and returns false. The interrupt
   * status is set aside for the statement: socket I/O of an interrupted virtual thread closes the connection.
   */
  private boolean unlockAll(Connection c) {
    boolean interrupted = Thread.interrupted();
    try (PreparedStatement ps = c.prepareStatement("SELECT pg_advisory_unlock_all()")) {
      ps.execute();
      return true;
    } catch (SQLException e) {
      connections.discard(c);
      return false;
    } finally {
      if (interrupted) Thread.currentThread().interrupt();
    }
  }

  /** Waits {@code d} on the scheduler (never Thread.sleep: tests drive it by hand). */
  private void pause(Duration d) throws InterruptedException {
    CompletableFuture<Void> due = new CompletableFuture<>();
    Scheduler.Cancellable timer = scheduler.schedule(d, () -> due.complete(null));
    try {
      due.get();
    } catch (ExecutionException e) {
      throw new IllegalStateException(e);
    } finally {
      timer.cancel();
    }
  }

  /** The locks of one call on its connection. */
  private final class HeldLocks implements Held {
    private final Connection connection;
    private final AtomicBoolean closed = new AtomicBoolean();

    HeldLocks(Connection connection) {
      this.connection = connection;
    }

    @Override
    public void close() {
      if (closed.compareAndSet(false, true) && unlockAll(connection)) connections.giveBack(connection);
    }
  }
}
