package dev.baton.internal.store;

import dev.baton.spi.Store;
import dev.baton.spi.StoreContract;
import dev.baton.testing.ManualScheduler;

/** The store contract against the in-memory store (nothing survives the instance: reopen cases skip). */
class MemoryStoreContractTest extends StoreContract {

  @Override
  protected Store open(ManualScheduler scheduler) {
    return new MemoryStore();
  }
}
