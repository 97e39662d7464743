package dev.baton.testing.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.SessionKey;
import dev.baton.spi.IdempotencyRecords;
import dev.baton.testing.TestThreads;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

/**
 * The {@link IdempotencyRecords} SPI (P6): the first result of a keyed tool call is kept, per session and
 * tool, also when several threads race to record one.
 *
 * <p>Part of the store contract (STYLE 6), split by SPI; every store runs each part that applies to it, see
 * {@link StoreCases}. Concurrency cases use real threads released together ({@link TestThreads#together});
 * every thread is joined and a failure in any of them fails the test.
 */
public interface IdempotencyContract extends StoreCases {

  @Test
  default void idempotencyRecordsKeepTheFirstResult() throws Exception {
    SessionKey s = new SessionKey("api:u:alice");
    IdempotencyRecords ids = store().idempotency();
    assertThat(ids.find(s, "write_file", "k1")).isEmpty();
    Instant exp = scheduler().now().plusSeconds(3600);
    var first = new IdempotencyRecords.Record("h1", "ok", "{\"n\":1}", exp);
    assertThat(ids.putIfAbsent(s, "write_file", "k1", first)).isEqualTo(first);
    assertThat(ids.putIfAbsent(s, "write_file", "k1", new IdempotencyRecords.Record("h2", "ok", "{}", exp)))
        .isEqualTo(first);
    assertThat(ids.find(s, "write_file", "k1")).contains(first);
    assertThat(ids.find(new SessionKey("api:u:bob"), "write_file", "k1")).isEmpty();
    assertThat(ids.find(s, "other_tool", "k1")).isEmpty();

    Map<String, Set<String>> winners = new ConcurrentHashMap<>();
    TestThreads.together(6, t -> () -> {
      for (int k = 0; k < 30; k++) {
        var mine = new IdempotencyRecords.Record("h", "ok", "thread " + t, exp);
        var stored = ids.putIfAbsent(s, "tool", "key" + k, mine);
        winners.computeIfAbsent("key" + k, x -> ConcurrentHashMap.newKeySet()).add(stored.result());
      }
      return null;
    });
    assertThat(winners).hasSize(30);
    winners.forEach((k, v) -> assertThat(v).as(k).hasSize(1));
    assertThat(store().stats().idempotencyRecords()).isEqualTo(31);
  }
}
