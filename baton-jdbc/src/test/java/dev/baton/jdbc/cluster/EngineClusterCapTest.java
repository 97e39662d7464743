package dev.baton.jdbc.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.baton.Admission;
import dev.baton.Baton;
import dev.baton.InboundMessage;
import dev.baton.config.BatonConfig;
import dev.baton.config.ClusterConfig;
import dev.baton.config.ConcurrencyConfig;
import dev.baton.config.StorageConfig;
import dev.baton.internal.agent.EchoAgent;
import dev.baton.jdbc.PgServerAccess;
import dev.baton.jdbc.PostgresStore;
import dev.baton.spi.Scheduler;
import dev.baton.spi.Store;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The cluster-wide cap through the engine: two engine nodes on one real PostgreSQL, each allowed 4 turns at
 * once by its own cap, share {@code cluster.max_concurrent_total: 2}. Eight sessions have work; while the
 * first turns hang, no third turn may start on either node, and both permits are used.
 */
class EngineClusterCapTest {

  @Test
  void twoNodesNeverRunMoreTurnsThanTheClusterCap() throws Exception {
    StorageConfig storage = PgServerAccess.freshSchema().withLeaseTtlMs(5_000);
    AtomicInteger running = new AtomicInteger();
    AtomicInteger most = new AtomicInteger();
    CountDownLatch twoIn = new CountDownLatch(2);
    CountDownLatch gate = new CountDownLatch(1);
    LinkedBlockingQueue<String> replies = new LinkedBlockingQueue<>();
    List<Store> stores = new ArrayList<>();
    List<Baton> nodes = new ArrayList<>();
    try {
      for (String name : List.of("a", "b")) {
        Store store = PostgresStore.open(storage, Duration.ofDays(1), Scheduler.system());
        stores.add(store);
        BatonConfig defaults = BatonConfig.defaults();
        ConcurrencyConfig c = defaults.agent().concurrency();
        BatonConfig config = defaults.withStorage(storage)
            .withAgent(defaults.agent().withConcurrency(new ConcurrencyConfig(1, 4, 100, 600_000,
                c.overflowAction(), c.busyMessage(), c.queueMode(), 0)))
            .withCluster(ClusterConfig.node(name).withPollIntervalMs(20).withMaxConcurrentTotal(2));
        EchoAgent echo = new EchoAgent();
        nodes.add(Baton.builder().config(config).store(store).agent(turn -> {
          most.accumulateAndGet(running.incrementAndGet(), Math::max);
          try {
            twoIn.countDown();
            gate.await();
            echo.onTurn(turn);
          } finally {
            running.decrementAndGet();
          }
        }).replies(r -> {
          store.markDelivered(r.session(), r.outboxSeq());
          replies.add(r.inReplyTo());
        }).build());
      }
      for (int u = 0; u < 8; u++) {
        Admission a = nodes.get(u % 2).submit(InboundMessage.of("api", "m" + u, "u" + u, "hi", Instant.EPOCH));
        assertThat(a).isInstanceOf(Admission.Accepted.class);
      }
      assertThat(twoIn.await(30, TimeUnit.SECONDS)).as("two turns start").isTrue();
      // Both permits are in use; for a second of rebalancing (50 ticks of each node) no third turn starts.
      await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(5)).until(() -> running.get() <= 2);
      gate.countDown();
      List<String> answered = new ArrayList<>();
      while (answered.size() < 8) {
        String r = replies.poll(30, TimeUnit.SECONDS);
        assertThat(r).as("all eight answered").isNotNull();
        answered.add(r);
      }
      assertThat(answered).doesNotHaveDuplicates();
      assertThat(most.get()).as("turns at once across both nodes").isEqualTo(2);
    } finally {
      gate.countDown();
      for (Baton n : nodes) n.close();
      for (Store s : stores) s.close();
    }
  }
}
