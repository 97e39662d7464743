package dev.baton.testing.store;

import dev.baton.spi.Store;
import dev.baton.testing.ManualScheduler;
import java.util.Optional;

/**
 * How a contract opens the store under test: memory, sqlite or postgres. One factory serves one test (it may
 * remember the data it opened, a file or a schema, to open it again).
 */
public interface StoreFactory {

  /** A fresh, empty store whose time comes from {@code scheduler}. */
  Store open(ManualScheduler scheduler) throws Exception;

  /**
   * Another instance on the same data as the store {@link #open} returned last (a restart or a second node),
   * or empty when the implementation keeps nothing outside the instance.
   */
  default Optional<Store> openAnother(ManualScheduler scheduler) throws Exception {
    return Optional.empty();
  }
}
