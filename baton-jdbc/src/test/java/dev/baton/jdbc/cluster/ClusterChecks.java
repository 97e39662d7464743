package dev.baton.jdbc.cluster;

import static dev.baton.jdbc.cluster.EngineClusterTest.HOLD;
import static dev.baton.jdbc.cluster.EngineClusterTest.HOLD_NODE;
import static dev.baton.jdbc.cluster.EngineClusterTest.LOST;
import static dev.baton.jdbc.cluster.EngineClusterTest.PARK;
import static dev.baton.jdbc.cluster.EngineClusterTest.PER_USER;
import static dev.baton.jdbc.cluster.EngineClusterTest.USERS;
import static dev.baton.jdbc.cluster.EngineClusterTest.allIds;
import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.SessionKey;
import dev.baton.config.StorageConfig;
import dev.baton.internal.agent.EchoAgent;
import dev.baton.jdbc.PostgresStore;
import dev.baton.jdbc.cluster.ClusterEvents.ReplyLine;
import dev.baton.spi.SessionData;
import dev.baton.spi.Store;
import dev.baton.testing.ManualScheduler;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * The checks {@link EngineClusterTest} ends with, over what the nodes printed ({@link ClusterEvents}), the
 * probe's log ({@link TurnProbe}) and the database itself.
 */
final class ClusterChecks {

  /** What the killed node left behind, read from the database right after it died. */
  record Killed(String node, String owner, Set<String> sessions, Set<String> unfinished, Set<String> undelivered) {}

  private final ClusterEvents events;
  private final StorageConfig storage;
  private final int clusterMax;
  private final Killed killed;

  ClusterChecks(ClusterEvents events, StorageConfig storage, int clusterMax, Killed killed) {
    this.events = events;
    this.storage = storage;
    this.clusterMax = clusterMax;
    this.killed = killed;
  }

  /** All of them, the sharpest first. */
  void all() throws SQLException {
    assertThat(events.problems).as("probe errors").isEmpty();
    checkCommittedOnce();
    checkStaleOwnerFenced();
    checkOncePerMessage();
    checkRepliesInOrder();
    checkProbe();
    checkStoredOutcome();
    checkTakeover();
  }

  /** The stale owner's write was refused by fencing, and the new owner's answer is the only one. */
  private void checkStaleOwnerFenced() {
    List<String> staleLines = events.commitLines(HOLD_NODE, "api:u:z");
    assertThat(events.heldBy).containsEntry(HOLD, HOLD_NODE);
    assertThat(staleLines).as("the stale owner's only commit of z: refused by fencing").hasSize(1);
    String[] stale = staleLines.getFirst().split(" ");
    assertThat(stale[1]).isEqualTo("FENCED");
    assertThat(stale[5]).isEqualTo(HOLD);
    List<String> winners = events.commits.stream().filter(l -> l.contains(" COMMIT api:u:z ")).toList();
    assertThat(winners).as("z-0 committed once, by another node, under a newer token").hasSize(1);
    String[] won = winners.getFirst().split(" ");
    assertThat(won[0]).isNotEqualTo(HOLD_NODE);
    assertThat(Long.parseLong(won[3])).isGreaterThan(Long.parseLong(stale[3]));
    assertThat(events.replies.stream().filter(r -> r.inReplyTo().equals(HOLD)).toList())
        .as("z-0 answered once, as turn 1, by the new owner")
        .containsExactly(new ReplyLine("api:u:z", 1, 1, HOLD, won[0]));
  }

  /**
   * P2 at the store: no message is in two successful events.commits. (A node prints its COMMIT line after the commit
   * returned, so the killed node may have committed a message without saying so; but then the message was
   * done and no node ran it again. A message is run again only when its first run did not commit.)
   */
  private void checkCommittedOnce() {
    Map<String, List<String>> byMessage = new HashMap<>();
    for (String line : events.commits) {
      String[] f = line.split(" "); // node COMMIT session token status ids
      if (!f[1].equals("COMMIT")) continue;
      for (String id : f[5].split(",")) byMessage.computeIfAbsent(id, k -> new ArrayList<>()).add(line);
    }
    Map<String, List<String>> twice = new TreeMap<>(byMessage);
    twice.values().removeIf(lines -> lines.size() == 1);
    assertThat(twice).withFailMessage("%d message(s) in more than one successful commit, e.g. %s", twice.size(),
        twice.entrySet().stream().limit(5).toList()).isEmpty();
  }

  /** P2: each delivery's admission, across nodes. */
  private void checkOncePerMessage() {
    List<String> ids = allIds();
    assertThat(events.deliveries.keySet()).containsExactlyInAnyOrderElementsOf(ids.subList(1, ids.size()));
    events.deliveries.forEach((id, results) -> {
      List<String> answers = results.stream().map(r -> r.substring(r.lastIndexOf(':') + 1)).toList();
      assertThat(answers).as("deliveries of %s: %s", id, results).allMatch(a -> a.equals("ACK") || a.equals("DUP")
          || a.equals(LOST));
      long acks = answers.stream().filter("ACK"::equals).count();
      if (answers.contains(LOST)) {
        // A delivery lost in the kill may have been journaled before the node died: then no node says ACK.
        assertThat(acks).as("accepted deliveries of %s: %s", id, results).isLessThanOrEqualTo(1);
      } else {
        assertThat(acks).as("accepted deliveries of %s: %s", id, results).isEqualTo(1);
      }
      assertThat(results.getLast()).as("the re-delivery of %s to another node", id).startsWith("retry:").endsWith(":DUP");
    });
  }

  /**
   * P9 and P2 as the users see it: each session's replies are outbox 1..n = turn 1..n answering its messages
   * in send order. A reply is printed once, or twice when the killed node printed it and died before marking
   * it delivered (the reply handler prints, then marks): then a live node delivers it again, unchanged.
   */
  private void checkRepliesInOrder() {
    String killedNode = killed.node();
    Map<String, List<ReplyLine>> byKey = events.replies.stream()
        .collect(Collectors.groupingBy(r -> r.session() + " " + r.outboxSeq()));
    for (int u = 0; u < USERS; u++) {
      String session = "api:u:u" + u;
      for (int i = 0; i < PER_USER; i++) {
        List<ReplyLine> printed = byKey.getOrDefault(session + " " + (i + 1), List.of());
        assertThat(printed).as("%s reply %d", session, i + 1).isNotEmpty()
            .allSatisfy(r -> {
              assertThat(r.turn()).as("turn of %s", r).isEqualTo(r.outboxSeq());
              assertThat(r.inReplyTo()).as("message answered by %s", r).isEqualTo(r.session().substring("api:u:".length()) + "-" + (r.outboxSeq() - 1));
            });
        List<String> by = printed.stream().map(ReplyLine::node).toList();
        assertThat(by).as("nodes that printed %s", printed).doesNotHaveDuplicates();
        assertThat(by.stream().filter(n -> !n.equals(killedNode)).count()).as("printed by live nodes: %s", printed)
            .isLessThanOrEqualTo(1);
      }
    }
    assertThat(byKey.keySet()).as("no reply beyond each session's messages")
        .hasSize(USERS * PER_USER + 1);
  }

  /**
   * P3 from the probe: the cluster cap and each node's cap held (and were reached, so the probe could have seen
   * them exceeded), and no two turns of one session overlapped.
   */
  private void checkProbe() throws SQLException {
    String killedNode = killed.node();
    int cap = clusterMax > 0 ? clusterMax : 3 * EngineClusterNode.NODE_MAX_CONCURRENT;
    int max = 0;
    int maxOnNode = 0;
    boolean zombieSeen = false;
    boolean killSeen = false;
    int starts = 0;
    try (Connection c = DriverManager.getConnection(storage.url(), "postgres", "");
        PreparedStatement ps = c.prepareStatement("SELECT node, session, msg, phase, total, others, on_node FROM probe_log ORDER BY seq");
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        String node = rs.getString(1);
        String msg = rs.getString(3);
        String phase = rs.getString(4);
        String others = rs.getString(6);
        if (phase.equals("killed")) {
          killSeen = true;
          assertThat(node).isEqualTo(killedNode);
          continue;
        }
        if (!phase.equals("start")) continue;
        starts++;
        max = Math.max(max, rs.getInt(5));
        maxOnNode = Math.max(maxOnNode, rs.getInt(7));
        assertThat(rs.getInt(5)).as("turns running cluster-wide when %s started %s", node, msg).isLessThanOrEqualTo(cap);
        assertThat(rs.getInt(7)).as("turns running on %s when it started %s", node, msg)
            .isLessThanOrEqualTo(EngineClusterNode.NODE_MAX_CONCURRENT);
        if (msg.equals(HOLD) && !node.equals(HOLD_NODE) && others.equals(HOLD_NODE + ":" + HOLD)) {
          zombieSeen = true; // the stale owner's turn, still running, whose commit fencing refused
          continue;
        }
        assertThat(others).as("other turns of its session running when %s started %s", node, msg).isEmpty();
      }
    }
    assertThat(killSeen).isTrue();
    assertThat(zombieSeen).as("the new owner ran z-0 while the stale owner's turn still ran").isTrue();
    if (clusterMax == 0) {
      // Without a cluster cap a node's own cap is what binds, and is reached. With one (2, shared by three
      // nodes with demand: a fair share of 1 each) a node reaches 2 only while the others are idle, which a
      // loaded machine may never produce; there the cluster-wide maximum below is the check that binds.
      assertThat(maxOnNode).as("a node's cap was reached").isEqualTo(EngineClusterNode.NODE_MAX_CONCURRENT);
    }
    if (clusterMax > 0) {
      assertThat(max).as("the cluster cap was reached").isEqualTo(clusterMax);
    } else {
      assertThat(max).as("turns ran on several nodes at once").isGreaterThan(EngineClusterNode.NODE_MAX_CONCURRENT);
    }
    // every message's turn started at least once; the killed and the stale turns started twice
    assertThat(starts).isGreaterThanOrEqualTo(allIds().size() + 2);
  }

  /** What the database holds at the end: every message done once, counters exact, nothing left to deliver. */
  private void checkStoredOutcome() throws SQLException {
    try (Connection c = DriverManager.getConnection(storage.url(), "postgres", "")) {
      List<String> statuses = queryStrings(c, "SELECT status || ' ' || count(*) FROM journal GROUP BY status");
      assertThat(statuses).as("journal statuses").containsExactly("DONE " + allIds().size());
    }
    try (Store store = PostgresStore.open(storage, Duration.ofDays(1), new ManualScheduler())) {
      assertThat(store.unfinished()).isEmpty();
      assertThat(store.undeliveredReplies()).isEmpty();
      SessionData z = store.loadSession(new SessionKey("api:u:z"));
      assertThat(z.state()).containsEntry(EchoAgent.TURNS_KEY, "1").containsEntry(EngineClusterNode.IDS_KEY, HOLD);
      for (int u = 0; u < USERS; u++) {
        SessionData data = store.loadSession(new SessionKey("api:u:u" + u));
        int user = u;
        String ids = IntStream.range(0, PER_USER).mapToObj(i -> "u" + user + "-" + i).collect(Collectors.joining(","));
        assertThat(data.state()).as("u%d", u).containsEntry(EchoAgent.TURNS_KEY, Integer.toString(PER_USER))
            .containsEntry(EngineClusterNode.IDS_KEY, ids);
        assertThat(data.lastOutboxSeq()).isEqualTo(PER_USER);
      }
    }
  }

  /** The killed node's sessions: their unfinished messages and undelivered replies were handled by others. */
  private void checkTakeover() throws SQLException {
    assertThat(killed.sessions()).contains("api:u:u7");
    assertThat(killed.unfinished()).contains(PARK);
    for (String id : killed.unfinished()) {
      assertThat(events.replies).as("answer to %s, unfinished on the killed node", id)
          .anyMatch(r -> r.inReplyTo().equals(id) && !r.node().equals(killed.node()));
    }
    for (String id : killed.undelivered()) {
      assertThat(events.replies).as("reply to %s, undelivered when its node was killed", id)
          .anyMatch(r -> r.inReplyTo().equals(id) && !r.node().equals(killed.node()));
    }
    try (Connection c = DriverManager.getConnection(storage.url(), "postgres", "")) {
      assertThat(queryStrings(c, "SELECT lease_owner FROM sessions WHERE session = ?", "api:u:u7"))
          .as("u7 taken over").doesNotContain(killed.owner());
    }
  }

  static List<String> queryStrings(Connection c, String sql, String... args) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < args.length; i++) ps.setString(i + 1, args[i]);
      try (ResultSet rs = ps.executeQuery()) {
        List<String> out = new ArrayList<>();
        while (rs.next()) out.add(rs.getString(1));
        return out;
      }
    }
  }
}
