package dev.baton.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.baton.config.StorageConfig;
import dev.baton.spi.ClusterPermits;
import dev.baton.testing.ManualScheduler;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cluster-wide cap on one real PostgreSQL, heartbeat by heartbeat on the manual clock: the sharing rule
 * (fair shares, surplus while nobody is short, surplus given back when someone is), running turns never
 * given back, expiry after the ttl, leave, and a lowered cap. Nodes are node names on two store instances.
 */
class PgClusterPermitsTest {

  static final int MAX = 9;
  static final int BIG = 100;
  static final Duration TTL = Duration.ofSeconds(10);

  final ManualScheduler clock = new ManualScheduler();
  final List<JdbcStore> opened = new ArrayList<>();
  final StorageConfig config = PgServer.freshSchema();
  final JdbcStore store = open();
  final ClusterPermits permits = store.clusterPermits().orElseThrow();
  /** A second store on the same database: another node process. */
  final ClusterPermits other = open().clusterPermits().orElseThrow();

  @TempDir Path dir;

  JdbcStore open() {
    JdbcStore s = PostgresStore.openWithoutRetention(config, clock);
    opened.add(s);
    return s;
  }

  @AfterEach
  void closeAll() {
    for (JdbcStore s : opened) s.close();
  }

  int beat(String node, int demand, int inUse) {
    return beat(node, demand, inUse, BIG);
  }

  int beat(String node, int demand, int inUse, int localMax) {
    int held = (node.equals("b") ? other : permits).rebalance(node, demand, inUse, localMax, MAX, TTL);
    assertThat(owned().getOrDefault(node, 0)).as("rows %s owns", node).isEqualTo(held);
    return held;
  }

  /** Live permits per owner, read from the table. */
  Map<String, Integer> owned() {
    long now = Codec.nanos(clock.now());
    return store.read(c -> {
      Map<String, Integer> m = new TreeMap<>();
      try (PreparedStatement ps = c.prepareStatement("SELECT owner, count(*) FROM cluster_permits"
          + " WHERE owner IS NOT NULL AND expires_at > ? GROUP BY owner")) {
        ps.setLong(1, now);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) m.put(rs.getString(1), rs.getInt(2));
        }
      }
      return m;
    });
  }

  @Test
  void aLoneBusyNodeTakesEveryPermitUpToItsOwnCap() {
    assertThat(beat("a", BIG, 0, 5)).isEqualTo(5);
    // b is not short of its fair share once it has 4 (9 / 2), so a keeps its 5 and b takes the other 4.
    assertThat(beat("b", BIG, 0)).isEqualTo(4);
    assertThat(beat("a", BIG, 0, 5)).isEqualTo(5);
    assertThat(beat("b", BIG, 0)).isEqualTo(4);
    assertThat(owned()).containsExactlyInAnyOrderEntriesOf(Map.of("a", 5, "b", 4));
  }

  @Test
  void threeBusyNodesConvergeToThreeEachWithinTwoRounds() {
    assertThat(beat("a", BIG, 0)).isEqualTo(MAX);
    for (int round = 0; round < 2; round++) {
      for (String n : List.of("a", "b", "c")) beat(n, BIG, 0);
    }
    assertThat(owned()).containsExactlyInAnyOrderEntriesOf(Map.of("a", 3, "b", 3, "c", 3));
    for (String n : List.of("a", "b", "c")) assertThat(beat(n, BIG, 0)).as(n).isEqualTo(3); // and stays
  }

  @Test
  void aBusyNodeGivesBackItsUnusedSurplusWhenAnotherNodeIsShort() {
    assertThat(beat("a", BIG, 2)).isEqualTo(MAX);
    assertThat(beat("b", 3, 0)).isZero(); // nothing free yet: b is short of its fair share (4)
    assertThat(beat("a", BIG, 2)).isEqualTo(4); // back to its fair share
    assertThat(beat("b", 3, 0)).isEqualTo(3);
    // Nobody is short any more: a takes what b leaves over (b wants only 3).
    assertThat(beat("a", BIG, 2)).isEqualTo(6);
    assertThat(owned()).containsExactlyInAnyOrderEntriesOf(Map.of("a", 6, "b", 3));
  }

  @Test
  void permitsInUseAreNeverGivenBackEvenAboveTheFairShare() {
    assertThat(beat("a", BIG, MAX)).isEqualTo(MAX);
    for (int round = 0; round < 3; round++) {
      assertThat(beat("b", BIG, 0)).isZero();
      assertThat(beat("c", BIG, 0)).isZero();
      assertThat(beat("a", BIG, MAX)).isEqualTo(MAX);
    }
    assertThat(beat("a", BIG, 5)).isEqualTo(5); // four turns ended: those four go back, not more
    assertThat(beat("b", BIG, 0)).isEqualTo(3);
    assertThat(beat("c", BIG, 0)).isEqualTo(1);
    assertThat(beat("a", BIG, 1)).isEqualTo(3);
    assertThat(beat("c", BIG, 0)).isEqualTo(3);
    assertThat(owned()).containsExactlyInAnyOrderEntriesOf(Map.of("a", 3, "b", 3, "c", 3));
  }

  @Test
  void aNodeThatStopsRenewingLosesItsPermitsAfterOneTtlToAnotherNode() {
    assertThat(beat("a", BIG, 4)).isEqualTo(MAX);
    clock.advance(TTL.minusMillis(1));
    assertThat(beat("a", BIG, 4)).isEqualTo(MAX); // renewed: good for another ttl from here
    clock.advance(TTL.minusMillis(1));
    assertThat(beat("b", BIG, 0)).isZero();
    clock.advance(Duration.ofMillis(1)); // a's last heartbeat lapses now
    assertThat(beat("b", BIG, 0)).isEqualTo(MAX);
    assertThat(owned()).containsExactly(Map.entry("b", MAX));
    // a comes back: its permits were taken over, so it holds fewer than it uses and starts nothing new.
    assertThat(beat("a", BIG, 4)).isZero();
  }

  @Test
  void expiredPermitsThatNobodyTookAreRenewedByTheirOwner() {
    assertThat(beat("a", BIG, 0)).isEqualTo(MAX);
    clock.advance(TTL.plusSeconds(5));
    assertThat(owned()).isEmpty();
    assertThat(beat("a", BIG, 0)).isEqualTo(MAX);
    assertThat(owned()).containsExactly(Map.entry("a", MAX));
  }

  @Test
  void leaveReturnsEveryPermitAtOnceAndForgetsTheNode() {
    assertThat(beat("a", BIG, 0)).isEqualTo(MAX);
    assertThat(beat("b", BIG, 0)).isZero();
    permits.leave("a");
    assertThat(owned()).isEmpty();
    List<String> nodes = store.read(c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT node FROM cluster_nodes ORDER BY node");
          ResultSet rs = ps.executeQuery()) {
        List<String> out = new ArrayList<>();
        while (rs.next()) out.add(rs.getString(1));
        return out;
      }
    });
    assertThat(nodes).containsExactly("b");
    assertThat(beat("b", BIG, 0)).isEqualTo(MAX); // same instant: no ttl to wait for
  }

  @Test
  void aHeartbeatSkipsSlotsAnotherTransactionHasLockedInsteadOfWaiting() {
    assertThat(beat("a", 0, 0)).isZero(); // creates the slots
    int held = store.read(c -> {
      c.setAutoCommit(false);
      try (PreparedStatement ps = c.prepareStatement("SELECT slot FROM cluster_permits WHERE slot <= 5 FOR UPDATE")) {
        ps.executeQuery().close();
        // Slots 1..5 are locked by a transaction that is still open (as by another node mid-heartbeat).
        return other.rebalance("b", BIG, 0, BIG, MAX, TTL);
      } finally {
        c.rollback();
        c.setAutoCommit(true);
      }
    });
    assertThat(held).isEqualTo(4);
    int lowest = store.read(c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT min(slot) FROM cluster_permits WHERE owner = 'b'");
          ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getInt(1);
      }
    });
    assertThat(lowest).isEqualTo(6);
    assertThat(beat("b", BIG, 0)).isEqualTo(MAX); // unlocked now
  }

  @Test
  void anIdleNodeHoldsNothingAndDoesNotShrinkTheBusyNodesShares() {
    assertThat(beat("idle", 0, 0)).isZero();
    assertThat(beat("a", BIG, 0)).isEqualTo(MAX);
    assertThat(beat("b", BIG, 0)).isZero();
    assertThat(beat("a", BIG, 0)).isEqualTo(4); // fair share among the 2 busy nodes, not the 3 live ones
    assertThat(beat("b", BIG, 0)).isEqualTo(5);
  }

  @Test
  void loweringTheCapGivesBackPermitsAboveIt() {
    assertThat(beat("a", BIG, 0)).isEqualTo(MAX);
    assertThat(permits.rebalance("a", BIG, 0, BIG, 6, TTL)).isEqualTo(6);
    int highest = store.read(c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT max(slot) FROM cluster_permits WHERE owner = 'a'");
          ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getInt(1);
      }
    });
    assertThat(highest).isEqualTo(6);
    // Another node still configured for 9 may take the slots above 6 (mid rolling change); none beyond 9.
    assertThat(other.rebalance("b", BIG, 0, BIG, MAX, TTL)).isEqualTo(3);
  }

  @Test
  void badArgumentsAreRefusedAndChangeNothing() {
    assertThatThrownBy(() -> permits.rebalance("a", -1, 0, 5, MAX, TTL)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> permits.rebalance("a", 1, 0, 5, 0, TTL)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> permits.rebalance("a", 1, 0, 5, MAX, Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> permits.rebalance("", 1, 0, 5, MAX, TTL)).isInstanceOf(IllegalArgumentException.class);
    assertThat(owned()).isEmpty();
  }

  @Test
  void sqliteOffersNoClusterPermits() {
    JdbcStore sqlite = SqliteStore.openWithoutRetention(StorageConfig.sqlite(dir.resolve("b.db").toString()), clock);
    opened.add(sqlite);
    assertThat(sqlite.clusterPermits()).isEmpty();
  }
}
