package dev.baton.internal.store;

import dev.baton.testing.store.AnchorContract;
import dev.baton.testing.store.CommitContract;
import dev.baton.testing.store.IdempotencyContract;
import dev.baton.testing.store.JournalContract;
import dev.baton.testing.store.OutboxContract;
import dev.baton.testing.store.StoreFactory;
import dev.baton.testing.store.StoreFixture;

/**
 * The store contract against the in-memory store: every part but leases (it serves one process), and nothing
 * survives the instance (reopen cases skip).
 */
class MemoryStoreContractTest extends StoreFixture
    implements JournalContract, CommitContract, OutboxContract, IdempotencyContract, AnchorContract {

  static final StoreFactory MEMORY = scheduler -> new MemoryStore();

  @Override
  protected StoreFactory stores() {
    return MEMORY;
  }
}
