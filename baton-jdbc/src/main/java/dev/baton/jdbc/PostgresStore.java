package dev.baton.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.baton.config.StorageConfig;
import dev.baton.spi.Scheduler;
import dev.baton.spi.Store;
import dev.baton.spi.StoreException;
import java.time.Duration;
import org.flywaydb.core.Flyway;

/**
 * The store several Baton nodes share: PostgreSQL through a HikariCP pool, a group-commit writer per node,
 * dedup by the unique key ({@code INSERT ... ON CONFLICT DO NOTHING}), leases with fencing tokens. Flyway
 * serializes migrations of nodes starting together (it takes an advisory lock). The cluster-wide cap on running
 * turns is {@link PgClusterPermits}.
 */
public final class PostgresStore {
  private PostgresStore() {}

  /** Connects (migrating the schema if needed), with background pruning. */
  public static Store open(StorageConfig storage, Duration dedupWindow, Scheduler scheduler) {
    JdbcStore store = openWithoutRetention(storage, scheduler);
    store.startRetention(new Retention(store, scheduler, dedupWindow,
        Duration.ofMillis(storage.pruneIntervalMs())));
    return store;
  }

  static JdbcStore openWithoutRetention(StorageConfig storage, Scheduler scheduler) {
    HikariConfig hc = new HikariConfig();
    hc.setPoolName("baton-postgres");
    hc.setJdbcUrl(storage.url());
    hc.setUsername(storage.user());
    hc.setPassword(storage.password());
    hc.setMaximumPoolSize(storage.poolSize() + storage.writers()); // + the writers'
    hc.setMinimumIdle(2);
    hc.setAutoCommit(true);
    hc.setConnectionTimeout(10_000);
    // Bounded waits (P4): a dead server or a cut network fails a call within 30 s instead of hanging it.
    hc.addDataSourceProperty("socketTimeout", "30");
    hc.addDataSourceProperty("tcpKeepAlive", "true");
    HikariDataSource pool;
    try {
      pool = new HikariDataSource(hc);
    } catch (RuntimeException e) {
      // The URL may carry credentials: say which host, not the whole URL.
      throw new StoreException("cannot connect to PostgreSQL (storage.url): " + e.getMessage(), e);
    }
    try {
      Flyway.configure().dataSource(pool).locations(Dialect.POSTGRES.migrations).load().migrate();
    } catch (RuntimeException e) {
      pool.close();
      throw new StoreException("cannot migrate the PostgreSQL schema: " + e.getMessage(), e);
    }
    LockConnections lockConnections = new LockConnections(storage, storage.poolSize());
    GroupCommitWriter writer = new GroupCommitWriter("baton-postgres-writer", pool, Dialect.POSTGRES,
        storage.writers(), storage.groupCommitMaxBatch(), storage.groupCommitMaxDelayUs() * 1_000);
    JdbcStore store = new JdbcStore("postgres", Dialect.POSTGRES, pool, writer, () -> {
      lockConnections.close();
      pool.close();
    }, storage.pruneBatch(), storage.maxTranscriptEntries(),
        storage.maxOutboxPerSession(), scheduler);
    store.offerClusterPermits(new PgClusterPermits(pool, scheduler));
    store.offerClusterLocks(new PgAdvisoryLocks(lockConnections, scheduler));
    store.offerProviderQuota(new PgProviderQuota(pool));
    return store;
  }
}
