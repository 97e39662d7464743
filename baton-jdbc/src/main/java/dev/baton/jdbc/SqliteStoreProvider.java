package dev.baton.jdbc;

import dev.baton.config.BatonConfig;
import dev.baton.config.StorageConfig;
import dev.baton.spi.Scheduler;
import dev.baton.spi.Store;
import dev.baton.spi.StoreProvider;
import java.time.Duration;

/** {@code storage.backend: sqlite}. */
public final class SqliteStoreProvider implements StoreProvider {

  @Override
  public StorageConfig.Backend backend() {
    return StorageConfig.Backend.SQLITE;
  }

  @Override
  public Store open(BatonConfig config, Scheduler scheduler) {
    return SqliteStore.open(config.storage(), Duration.ofMillis(config.dedup().windowMs()), scheduler);
  }
}
