package dev.baton.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.config.BatonConfig;
import dev.baton.config.ClusterConfig;
import dev.baton.config.StorageConfig;
import dev.baton.spi.ClusterLocks;
import dev.baton.spi.Store;
import java.lang.reflect.Proxy;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** {@code baton serve} hands the store's cross-node tool locks to the tool runtime only in cluster mode. */
class ServeClusterLocksTest {
  final ClusterLocks locks = (claims, deadline) -> () -> {};
  final BatonConfig single = BatonConfig.defaults().withStorage(StorageConfig.postgres(
      "jdbc:postgresql://127.0.0.1/baton", "baton", ""));
  final BatonConfig clustered = single.withCluster(ClusterConfig.node("n1"));

  /** A store that answers only {@code clusterLocks()}. */
  static Store storeOffering(Optional<ClusterLocks> offered) {
    return (Store) Proxy.newProxyInstance(Store.class.getClassLoader(), new Class<?>[] {Store.class}, (p, m, a) -> {
      if (m.getName().equals("clusterLocks")) return offered;
      throw new UnsupportedOperationException(m.getName());
    });
  }

  @Test
  void inClusterModeTheStoresLocksAreUsed() {
    assertThat(ServeCommand.clusterLocks(clustered, storeOffering(Optional.of(locks)))).containsSame(locks);
  }

  @Test
  void aSingleNodeUsesNone() {
    assertThat(ServeCommand.clusterLocks(single, storeOffering(Optional.of(locks)))).isEmpty();
  }

  @Test
  void aStoreWithoutClusterLocksGivesNoneInClusterModeToo() {
    assertThat(ServeCommand.clusterLocks(clustered, storeOffering(Optional.empty()))).isEmpty();
  }
}
