package dev.baton.jdbc;

import dev.baton.spi.ProviderQuota;
import dev.baton.spi.StoreException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import javax.sql.DataSource;

/*
 * Overview. The cluster-wide requests per minute of a model provider on PostgreSQL (migration V5.1): a row per
 * provider and fixed 60 s window, and one statement per request,
 *   INSERT ... VALUES (p, w, 1) ON CONFLICT (provider, window_start)
 *     DO UPDATE SET used = used + 1 WHERE used < limit RETURNING used
 * which returns a row exactly when the request may start. The first request of a window (the insert) also deletes
 * the provider's windows older than an hour, so the table holds about 60 rows per provider.
 *
 * Why a row per request and not leased slices: a model call takes hundreds of milliseconds to seconds; one
 * autocommit upsert on the pool costs about a millisecond on a local PostgreSQL (docs/concurrency.md, "Flow
 * control"), and it keeps the limit exact with no capacity stranded on a node that leased it and then went idle
 * or died. Leased slices (a node takes k units per round trip) would cut the round trips by k for a provider
 * called thousands of times a minute; they would go behind this same ProviderQuota interface.
 *
 * Concurrency. Thread-safe; each call is one autocommit statement. Concurrent upserts of one window serialize on
 * its row lock (held for the statement only), so `used` never passes the limit, whichever node asks.
 *
 * Failure. An SQL error becomes a StoreException: the model call fails rather than exceeding the limit.
 */
final class PgProviderQuota implements ProviderQuota {

  private static final long KEEP_MILLIS = Duration.ofHours(1).toMillis();

  private final DataSource pool;

  PgProviderQuota(DataSource pool) {
    this.pool = pool;
  }

  @Override
  public boolean tryTake(String provider, Instant now, int limit) {
    if (limit < 1) throw new IllegalArgumentException("limit must be at least 1");
    long window = ProviderQuota.windowStart(now);
    try (Connection c = pool.getConnection()) {
      int used;
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO provider_windows (provider, window_start, used)"
          + " VALUES (?, ?, 1) ON CONFLICT (provider, window_start) DO UPDATE SET used = provider_windows.used + 1"
          + " WHERE provider_windows.used < ? RETURNING used")) {
        ps.setString(1, provider);
        ps.setLong(2, window);
        ps.setInt(3, limit);
        try (ResultSet rs = ps.executeQuery()) {
          if (!rs.next()) return false;
          used = rs.getInt(1);
        }
      }
      if (used == 1) {
        try (PreparedStatement ps = c.prepareStatement(
            "DELETE FROM provider_windows WHERE provider = ? AND window_start < ?")) {
          ps.setString(1, provider);
          ps.setLong(2, window - KEEP_MILLIS);
          ps.executeUpdate();
        }
      }
      return true;
    } catch (SQLException e) {
      throw new StoreException("cannot take the provider's cluster-wide quota: " + e.getMessage(), e);
    }
  }
}
