package dev.baton.jdbc;

import dev.baton.testing.store.CommitContract;
import dev.baton.testing.store.IdempotencyContract;
import dev.baton.testing.store.JournalContract;
import dev.baton.testing.store.LeaseContract;
import dev.baton.testing.store.OutboxContract;
import dev.baton.testing.store.StoreFactory;
import java.nio.file.Path;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.io.TempDir;

/** Every part of the store contract against a real SQLite file (WAL, synchronous=FULL) in a fresh temp folder. */
class SqliteStoreContractTest {

  @TempDir Path dir;

  StoreFactory stores() {
    return JdbcStores.sqlite(dir);
  }

  @Nested
  class Journal extends JournalContract {
    @Override
    protected StoreFactory stores() {
      return SqliteStoreContractTest.this.stores();
    }
  }

  @Nested
  class Commit extends CommitContract {
    @Override
    protected StoreFactory stores() {
      return SqliteStoreContractTest.this.stores();
    }
  }

  @Nested
  class Outbox extends OutboxContract {
    @Override
    protected StoreFactory stores() {
      return SqliteStoreContractTest.this.stores();
    }
  }

  @Nested
  class Idempotency extends IdempotencyContract {
    @Override
    protected StoreFactory stores() {
      return SqliteStoreContractTest.this.stores();
    }
  }

  @Nested
  class Leases extends LeaseContract {
    @Override
    protected StoreFactory stores() {
      return SqliteStoreContractTest.this.stores();
    }
  }
}
