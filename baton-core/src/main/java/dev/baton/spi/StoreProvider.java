package dev.baton.spi;

import dev.baton.config.BatonConfig;
import dev.baton.config.StorageConfig;

/**
 * Opens the store named by {@code storage.backend}. Found with {@link java.util.ServiceLoader}; {@code memory} is
 * built in, {@code sqlite} and {@code postgres} come with {@code baton-jdbc}.
 */
public interface StoreProvider {

  StorageConfig.Backend backend();

  Store open(BatonConfig config, Scheduler scheduler);
}
