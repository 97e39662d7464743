package dev.baton.jdbc;

import dev.baton.testing.engine.EngineContract;
import dev.baton.testing.store.StoreFactory;

/** The engine's promise contract on a real PostgreSQL (the one embedded server, fsync on), a fresh schema per test. */
class PostgresEngineContractTest extends EngineContract {

  @Override
  protected StoreFactory stores() {
    return JdbcStores.postgres();
  }
}
