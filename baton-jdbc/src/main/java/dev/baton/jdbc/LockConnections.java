package dev.baton.jdbc;

import dev.baton.config.StorageConfig;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.Semaphore;
import org.postgresql.ds.PGSimpleDataSource;

/*
 * Overview. The connections that hold tool calls' cluster locks (PgAdvisoryLocks): at most `max` lent out at
 * once, idle ones kept for reuse. Not a HikariCP pool, for two reasons: the bound must be tried without
 * waiting (a caller that finds none free backs off on the injected scheduler, up to its deadline, like for a
 * busy lock), and a lock connection is often closed on purpose - ending its database session is how a broken
 * or interrupted call's locks are released for sure, and the JDK closes the socket of a virtual thread
 * interrupted in I/O - which HikariCP would log as a warning with a stack trace.
 *
 * Concurrency. Thread-safe. A Semaphore holds one permit per connection that may be lent; idle connections
 * wait in a ConcurrentLinkedDeque (last returned, first lent: the warm ones are reused). A lent connection is
 * confined to its borrower until giveBack or discard.
 *
 * Failure. Opening a connection blocks at most storage's connect timeout. An idle connection the server has
 * dropped is found out by its first statement; the borrower then discards it and borrows again.
 */
final class LockConnections implements AutoCloseable {

  /** A lent connection; {@code reused} if it waited idle before (and so may have been dropped meanwhile). */
  record Lent(Connection connection, boolean reused) {}

  private final PGSimpleDataSource source = new PGSimpleDataSource();
  private final int max;
  private final Semaphore permits;
  private final ConcurrentLinkedDeque<Connection> idle = new ConcurrentLinkedDeque<>();
  private volatile boolean closed;

  LockConnections(StorageConfig storage, int max) {
    source.setURL(storage.url());
    source.setUser(storage.user());
    source.setPassword(storage.password());
    source.setConnectTimeout(10);
    source.setSocketTimeout(30); // bounded waits (P4), as for the store's own pool
    source.setTcpKeepAlive(true);
    source.setApplicationName("baton-locks");
    this.max = max;
    this.permits = new Semaphore(max);
  }

  int max() {
    return max;
  }

  /** A connection, or empty at once if {@code max} are lent out. */
  Optional<Lent> tryBorrow() throws SQLException {
    if (!permits.tryAcquire()) return Optional.empty();
    try {
      Connection c = idle.pollFirst();
      if (c != null) return Optional.of(new Lent(c, true));
      if (closed) throw new SQLException("the store is closed");
      return Optional.of(new Lent(source.getConnection(), false));
    } catch (SQLException | RuntimeException e) {
      permits.release();
      throw e;
    }
  }

  /** Returns a connection that holds no lock, for reuse. */
  void giveBack(Connection c) {
    idle.addFirst(c);
    permits.release();
    if (closed) drain();
  }

  /** Closes a lent connection: its database session ends, and with it every lock the session held. */
  void discard(Connection c) {
    closeQuietly(c);
    permits.release();
  }

  @Override
  public void close() {
    closed = true;
    drain();
  }

  private void drain() {
    for (Connection c; (c = idle.pollFirst()) != null; ) closeQuietly(c);
  }

  private static void closeQuietly(Connection c) {
    try {
      c.close();
    } catch (SQLException ignored) {
      // already broken: the server ends the session when it sees the socket gone
    }
  }
}
