package dev.baton.internal.store;

import dev.baton.testing.store.CommitContract;
import dev.baton.testing.store.IdempotencyContract;
import dev.baton.testing.store.JournalContract;
import dev.baton.testing.store.OutboxContract;
import dev.baton.testing.store.StoreFactory;
import org.junit.jupiter.api.Nested;

/**
 * The store contract against the in-memory store: every part but leases (it serves one process), and nothing
 * survives the instance (reopen cases skip).
 */
class MemoryStoreContractTest {

  static final StoreFactory MEMORY = scheduler -> new MemoryStore();

  @Nested
  class Journal extends JournalContract {
    @Override
    protected StoreFactory stores() {
      return MEMORY;
    }
  }

  @Nested
  class Commit extends CommitContract {
    @Override
    protected StoreFactory stores() {
      return MEMORY;
    }
  }

  @Nested
  class Outbox extends OutboxContract {
    @Override
    protected StoreFactory stores() {
      return MEMORY;
    }
  }

  @Nested
  class Idempotency extends IdempotencyContract {
    @Override
    protected StoreFactory stores() {
      return MEMORY;
    }
  }
}
