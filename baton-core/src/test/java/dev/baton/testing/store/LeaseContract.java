package dev.baton.testing.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.baton.Reply;
import dev.baton.SessionKey;
import dev.baton.Transcript;
import dev.baton.spi.FencedException;
import dev.baton.spi.IngestResult;
import dev.baton.spi.JournalEntry;
import dev.baton.spi.MessageStatus;
import dev.baton.spi.SessionData;
import dev.baton.spi.SessionLeases;
import dev.baton.spi.Store;
import dev.baton.spi.TurnCommit;
import dev.baton.testing.TestThreads;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

/**
 * The {@link SessionLeases} SPI, for stores that offer leases (sqlite, postgres): fencing tokens, renewal,
 * takeover after expiry, a stale owner's commit refused, and one winner of concurrent acquires. A store without
 * leases does not run this part.
 *
 * <p>Part of the store contract (STYLE 6), split by SPI; every store runs each part that applies to it, see
 * {@link StoreCases}. Concurrency cases use real threads released together ({@link TestThreads#together});
 * every thread is joined and a failure in any of them fails the test.
 */
public interface LeaseContract extends StoreCases {

  @Test
  default void aStaleOwnerIsFencedOffAfterTakeover() throws Exception {
    assumeThat(store().leases()).as("store offers leases").isPresent();
    Store nodeB = openAnother(scheduler()).map(this::track).orElse(store());
    SessionLeases a = store().leases().orElseThrow();
    SessionLeases b = nodeB.leases().orElseThrow();
    SessionKey s = new SessionKey("api:u:alice");
    Duration ttl = Duration.ofSeconds(30);

    SessionLeases.Lease la = a.acquire(s, "node-a", ttl).orElseThrow();
    assertThat(la.token()).isEqualTo(1);
    assertThat(la.expiresAt()).isEqualTo(scheduler().now().plus(ttl));
    assertThat(b.acquire(s, "node-b", ttl)).as("held by a").isEmpty();
    assertThat(a.acquire(s, "node-a", ttl)).as("re-acquire by the holder keeps the token")
        .hasValueSatisfying(l -> assertThat(l.token()).isEqualTo(1));
    store().commitTurn(new TurnCommit(s, List.of(), MessageStatus.DONE, Map.of(), Map.of("owner", Optional.of("a")),
        List.of(), List.of(reply(s, "from a", 1)), la.token()));

    scheduler().advance(Duration.ofSeconds(20));
    la = a.renew(la, ttl).orElseThrow();
    scheduler().advance(Duration.ofSeconds(29));
    assertThat(b.acquire(s, "node-b", ttl)).as("renewed lease still held").isEmpty();
    scheduler().advance(Duration.ofSeconds(2));

    SessionLeases.Lease lb = b.acquire(s, "node-b", ttl).orElseThrow();
    assertThat(lb.token()).isEqualTo(2);
    assertThat(b.current(s)).contains(lb);
    JournalEntry e = entry("alice", "m1", "hi");
    store().ingest(e);
    SessionData before = nodeB.loadSession(s);
    long staleToken = la.token();
    assertThatThrownBy(() -> store().commitTurn(new TurnCommit(s, List.of(e.key()), MessageStatus.DONE, Map.of(),
        Map.of("owner", Optional.of("a again")), List.of(new Transcript.Entry(Transcript.Role.USER, "hi", scheduler().now())),
        List.of(reply(s, "stale", 2)), staleToken))).isInstanceOf(FencedException.class);
    assertThat(nodeB.loadSession(s)).isEqualTo(before);
    assertThat(nodeB.ingest(e)).isEqualTo(new IngestResult.Existing(MessageStatus.RECEIVED));
    assertThat(nodeB.undeliveredReplies()).extracting(Reply::text).containsExactly("from a");
    assertThat(a.renew(la, ttl)).as("a lost its lease").isEmpty();
    a.release(la); // lost: does nothing
    assertThat(b.current(s)).contains(lb);

    nodeB.commitTurn(new TurnCommit(s, List.of(e.key()), MessageStatus.DONE, Map.of(), Map.of("owner", Optional.of("b")),
        List.of(), List.of(reply(s, "from b", 2)), lb.token()));
    assertThat(store().loadSession(s).state()).containsEntry("owner", "b");
    b.release(lb);
    SessionLeases.Lease again = a.acquire(s, "node-a", ttl).orElseThrow();
    assertThat(again.token()).as("a released lease is free at once, under a new token").isEqualTo(3);
  }

  @Test
  default void concurrentAcquiresOfAFreeSessionHaveOneWinner() throws Exception {
    assumeThat(store().leases()).as("store offers leases").isPresent();
    Store nodeB = openAnother(scheduler()).map(this::track).orElse(store());
    List<SessionLeases> nodes = List.of(store().leases().orElseThrow(), nodeB.leases().orElseThrow());
    Map<String, List<String>> winners = new ConcurrentHashMap<>();
    TestThreads.together(4, t -> () -> {
      for (int i = 0; i < 40; i++) {
        SessionKey s = new SessionKey("api:u:s" + i);
        nodes.get(t % 2).acquire(s, "node-" + t, Duration.ofSeconds(30)).ifPresent(l ->
            winners.computeIfAbsent(s.value(), x -> Collections.synchronizedList(new ArrayList<>())).add(l.owner()));
      }
      return null;
    });
    assertThat(winners).hasSize(40);
    winners.forEach((s, w) -> assertThat(w).as(s).hasSize(1));
  }
}
