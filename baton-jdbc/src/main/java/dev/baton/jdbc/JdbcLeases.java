package dev.baton.jdbc;

import dev.baton.SessionKey;
import dev.baton.spi.Scheduler;
import dev.baton.spi.SessionLeases;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Leases in the {@code sessions} row: owner, fencing token, expiry. A takeover increments the token in the same
 * row that {@code commitTurn} locks and checks, so a takeover and a stale commit serialize and the stale one
 * is refused. Expiry is compared with the injected {@link Scheduler}'s {@code now()}.
 */
final class JdbcLeases implements SessionLeases {

  private final JdbcStore store;
  private final Scheduler scheduler;

  JdbcLeases(JdbcStore store, Scheduler scheduler) {
    this.store = store;
    this.scheduler = scheduler;
  }

  @Override
  public Optional<Lease> acquire(SessionKey session, String owner, Duration ttl) {
    Instant now = scheduler.now();
    Instant expires = now.plus(ttl);
    return store.write(session.value(), c -> {
      TurnSql.ensureSession(c, session);
      try (PreparedStatement ps = c.prepareStatement("UPDATE sessions SET lease_token = CASE WHEN lease_owner = ?"
          + " THEN lease_token ELSE lease_token + 1 END, lease_owner = ?, lease_expires_at = ?"
          + " WHERE session = ? AND (lease_owner IS NULL OR lease_owner = ? OR lease_expires_at <= ?)"
          + " RETURNING lease_token")) {
        ps.setString(1, owner);
        ps.setString(2, owner);
        ps.setLong(3, Codec.nanos(expires));
        ps.setString(4, session.value());
        ps.setString(5, owner);
        ps.setLong(6, Codec.nanos(now));
        try (ResultSet rs = ps.executeQuery()) {
          return rs.next() ? Optional.of(new Lease(session, owner, rs.getLong(1), expires)) : Optional.empty();
        }
      }
    });
  }

  @Override
  public Optional<Lease> renew(Lease lease, Duration ttl) {
    Instant expires = scheduler.now().plus(ttl);
    return store.write(lease.session().value(), c -> {
      try (PreparedStatement ps = c.prepareStatement("UPDATE sessions SET lease_expires_at = ?"
          + " WHERE session = ? AND lease_owner = ? AND lease_token = ?")) {
        ps.setLong(1, Codec.nanos(expires));
        ps.setString(2, lease.session().value());
        ps.setString(3, lease.owner());
        ps.setLong(4, lease.token());
        return ps.executeUpdate() == 1
            ? Optional.of(new Lease(lease.session(), lease.owner(), lease.token(), expires))
            : Optional.empty();
      }
    });
  }

  @Override
  public void release(Lease lease) {
    store.write(lease.session().value(), c -> {
      try (PreparedStatement ps = c.prepareStatement("UPDATE sessions SET lease_owner = NULL, lease_expires_at = 0"
          + " WHERE session = ? AND lease_owner = ? AND lease_token = ?")) {
        ps.setString(1, lease.session().value());
        ps.setString(2, lease.owner());
        ps.setLong(3, lease.token());
        return ps.executeUpdate();
      }
    });
  }

  @Override
  public Optional<Lease> current(SessionKey session) {
    return store.read(c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT lease_owner, lease_token, lease_expires_at"
          + " FROM sessions WHERE session = ? AND lease_owner IS NOT NULL")) {
        ps.setString(1, session.value());
        try (ResultSet rs = ps.executeQuery()) {
          return rs.next()
              ? Optional.of(new Lease(session, rs.getString(1), rs.getLong(2), Codec.instant(rs.getLong(3))))
              : Optional.empty();
        }
      }
    });
  }

  @Override
  public List<Claimable> claimable(String owner, long afterSeq, int limit) {
    return store.claimable(owner, Codec.nanos(scheduler.now()), afterSeq, limit);
  }

  @Override
  public List<SessionKey> orphanedOutboxes(String owner, int limit) {
    return store.orphanedOutboxes(owner, Codec.nanos(scheduler.now()), limit);
  }
}
