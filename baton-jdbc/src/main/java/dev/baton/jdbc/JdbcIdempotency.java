package dev.baton.jdbc;

import dev.baton.SessionKey;
import dev.baton.spi.IdempotencyRecords;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Optional;

/** Tool-call results in the {@code idempotency} table; {@link #putIfAbsent} is one group-committed write. */
final class JdbcIdempotency implements IdempotencyRecords {

  private final JdbcStore store;

  JdbcIdempotency(JdbcStore store) {
    this.store = store;
  }

  @Override
  public Optional<Record> find(SessionKey session, String tool, String key) {
    return store.read(c -> select(c, session, tool, key));
  }

  @Override
  public Record putIfAbsent(SessionKey session, String tool, String key, Record record) {
    return store.write(session.value(), c -> {
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO idempotency (session, tool, key, arguments_hash,"
          + " outcome, result, expires_at) VALUES (?,?,?,?,?,?,?) ON CONFLICT (session, tool, key) DO NOTHING")) {
        ps.setString(1, session.value());
        ps.setString(2, tool);
        ps.setString(3, key);
        ps.setString(4, record.argumentsHash());
        ps.setString(5, record.outcome());
        ps.setString(6, record.result());
        ps.setLong(7, Codec.nanos(record.expiresAt()));
        if (ps.executeUpdate() == 1) return record;
      }
      return select(c, session, tool, key).orElseThrow(() -> new SQLException("idempotency record vanished"));
    });
  }

  private static Optional<Record> select(Connection c, SessionKey session, String tool, String key)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT arguments_hash, outcome, result, expires_at"
        + " FROM idempotency WHERE session = ? AND tool = ? AND key = ?")) {
      ps.setString(1, session.value());
      ps.setString(2, tool);
      ps.setString(3, key);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) return Optional.empty();
        return Optional.of(new Record(rs.getString(1), rs.getString(2), rs.getString(3),
            Codec.instant(rs.getLong(4))));
      }
    }
  }
}
