package dev.baton.jdbc;

import dev.baton.config.StorageConfig;
import dev.baton.spi.Store;
import dev.baton.spi.StoreContract;
import dev.baton.testing.ManualScheduler;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.io.TempDir;

/** The store contract against a real SQLite file (WAL, synchronous=FULL). */
class SqliteStoreContractTest extends StoreContract {

  @TempDir Path dir;

  private StorageConfig config() {
    return StorageConfig.sqlite(dir.resolve("baton.db").toString()).withPoolSize(2);
  }

  @Override
  protected Store open(ManualScheduler scheduler) {
    return SqliteStore.open(config(), Duration.ofDays(1), scheduler);
  }

  @Override
  protected Optional<Store> openAnother(ManualScheduler scheduler) {
    return Optional.of(SqliteStore.open(config(), Duration.ofDays(1), scheduler));
  }
}
