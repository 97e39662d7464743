package dev.baton.jdbc;

import dev.baton.testing.store.CommitContract;
import dev.baton.testing.store.IdempotencyContract;
import dev.baton.testing.store.JournalContract;
import dev.baton.testing.store.LeaseContract;
import dev.baton.testing.store.OutboxContract;
import dev.baton.testing.store.StoreFactory;
import org.junit.jupiter.api.Nested;

/** Every part of the store contract against a real PostgreSQL (the one embedded server, fsync on), a fresh schema per test. */
class PostgresStoreContractTest {

  StoreFactory stores() {
    return JdbcStores.postgres();
  }

  @Nested
  class Journal extends JournalContract {
    @Override
    protected StoreFactory stores() {
      return PostgresStoreContractTest.this.stores();
    }
  }

  @Nested
  class Commit extends CommitContract {
    @Override
    protected StoreFactory stores() {
      return PostgresStoreContractTest.this.stores();
    }
  }

  @Nested
  class Outbox extends OutboxContract {
    @Override
    protected StoreFactory stores() {
      return PostgresStoreContractTest.this.stores();
    }
  }

  @Nested
  class Idempotency extends IdempotencyContract {
    @Override
    protected StoreFactory stores() {
      return PostgresStoreContractTest.this.stores();
    }
  }

  @Nested
  class Leases extends LeaseContract {
    @Override
    protected StoreFactory stores() {
      return PostgresStoreContractTest.this.stores();
    }
  }
}
