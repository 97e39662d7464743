package dev.baton.internal.store;

import dev.baton.config.BatonConfig;
import dev.baton.config.StorageConfig;
import dev.baton.spi.Scheduler;
import dev.baton.spi.Store;
import dev.baton.spi.StoreProvider;

/** {@code storage.backend: memory}. */
public final class MemoryStoreProvider implements StoreProvider {

  @Override
  public StorageConfig.Backend backend() {
    return StorageConfig.Backend.MEMORY;
  }

  @Override
  public Store open(BatonConfig config, Scheduler scheduler) {
    return new MemoryStore(config.dedup(), config.storage().maxTranscriptEntries(),
        config.storage().maxOutboxPerSession());
  }
}
