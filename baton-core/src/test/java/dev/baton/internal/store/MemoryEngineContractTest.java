package dev.baton.internal.store;

import dev.baton.testing.engine.EngineContract;
import dev.baton.testing.store.StoreFactory;

/** The engine's promise contract on the in-memory store. */
class MemoryEngineContractTest extends EngineContract {

  @Override
  protected StoreFactory stores() {
    return MemoryStoreContractTest.MEMORY;
  }
}
