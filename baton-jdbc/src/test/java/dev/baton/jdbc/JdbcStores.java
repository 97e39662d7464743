package dev.baton.jdbc;

import dev.baton.config.StorageConfig;
import dev.baton.spi.Store;
import dev.baton.testing.ManualScheduler;
import dev.baton.testing.store.StoreFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * The {@link StoreFactory}s of the JDBC stores for the shared contracts: sqlite on a real file (WAL,
 * synchronous=FULL) in a test's temp folder, postgres on a fresh schema of the one embedded server
 * ({@link PgServer}). Each factory serves one test and reopens the data it opened last.
 */
final class JdbcStores {
  private JdbcStores() {}

  /** A day, as shipped: long enough that no contract case sees a dedup record pruned. */
  static final Duration WINDOW = Duration.ofDays(1);

  static StoreFactory sqlite(Path dir) {
    StorageConfig config = StorageConfig.sqlite(dir.resolve("baton.db").toString()).withPoolSize(2);
    return new StoreFactory() {
      @Override
      public Store open(ManualScheduler scheduler) {
        return SqliteStore.open(config, WINDOW, scheduler);
      }

      @Override
      public Optional<Store> openAnother(ManualScheduler scheduler) {
        return Optional.of(SqliteStore.open(config, WINDOW, scheduler));
      }
    };
  }

  static StoreFactory postgres() {
    return new StoreFactory() {
      private StorageConfig config; // the schema open() made last

      @Override
      public Store open(ManualScheduler scheduler) {
        config = PgServer.freshSchema();
        return PostgresStore.open(config, WINDOW, scheduler);
      }

      @Override
      public Optional<Store> openAnother(ManualScheduler scheduler) {
        return Optional.of(PostgresStore.open(config, WINDOW, scheduler));
      }
    };
  }
}
