package dev.baton.jdbc;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * What differs between SQLite and PostgreSQL. The SQL itself is shared: both speak {@code ON CONFLICT},
 * {@code RETURNING}, multi-row {@code VALUES} and partial indexes.
 */
enum Dialect {

  /**
   * One writer connection that starts each batch with {@code BEGIN IMMEDIATE} (so it never has to upgrade a
   * read lock, which SQLite may refuse with SQLITE_BUSY), and holds no lock between batches.
   */
  SQLITE("sqlite") {
    @Override
    void begin(Connection c) throws SQLException {
      exec(c, "BEGIN IMMEDIATE");
    }

    @Override
    void commit(Connection c) throws SQLException {
      exec(c, "COMMIT");
    }

    @Override
    void rollback(Connection c) throws SQLException {
      if (!c.getAutoCommit()) return;
      try (Statement s = c.createStatement()) {
        s.execute("ROLLBACK");
      } catch (SQLException e) {
        if (!String.valueOf(e.getMessage()).contains("no transaction is active")) throw e;
      }
    }
  },

  /** Row locks (taken by the upsert of the session's row) serialize commits of one session across nodes. */
  POSTGRES("postgres") {
    @Override
    void begin(Connection c) throws SQLException {
      c.setAutoCommit(false);
    }

    @Override
    void commit(Connection c) throws SQLException {
      c.commit();
      c.setAutoCommit(true);
    }

    @Override
    void rollback(Connection c) throws SQLException {
      if (!c.getAutoCommit()) {
        c.rollback();
        c.setAutoCommit(true);
      }
    }
  };

  final String migrations;

  Dialect(String migrations) {
    this.migrations = "classpath:db/migration/" + migrations;
  }

  abstract void begin(Connection c) throws SQLException;

  abstract void commit(Connection c) throws SQLException;

  abstract void rollback(Connection c) throws SQLException;

  /** Runs a statement without parameters (prepared, so the SQLite writer's cache keeps it parsed). */
  static void exec(Connection c, String sql) throws SQLException {
    try (java.sql.PreparedStatement s = c.prepareStatement(sql)) {
      s.execute();
    }
  }
}
