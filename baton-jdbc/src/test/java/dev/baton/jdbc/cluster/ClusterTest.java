package dev.baton.jdbc.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.Reply;
import dev.baton.SessionKey;
import dev.baton.config.StorageConfig;
import dev.baton.jdbc.PgServerAccess;
import dev.baton.jdbc.PostgresStore;
import dev.baton.jdbc.crash.NodeProcess;
import dev.baton.spi.Store;
import dev.baton.testing.ManualScheduler;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three node processes on one real PostgreSQL (store level, see {@link ClusterNode}): a node that lost its
 * lease while paused is fenced off when it tries to commit; a node killed with kill -9 has its sessions taken
 * over within a lease period; across the cluster every message is admitted once (a re-delivery to another
 * node is a duplicate), run once, and in its session's order.
 */
class ClusterTest {

  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final String TTL_MS = "1500";

  @TempDir Path dir;

  private final Set<String> acked = ConcurrentHashMap.newKeySet();
  private final Set<String> duplicates = ConcurrentHashMap.newKeySet();
  private final List<String> done = new CopyOnWriteArrayList<>();
  private final List<String> fenced = new CopyOnWriteArrayList<>();
  /** session -> "node token" of the latest LEASE line. */
  private final Map<String, String> holder = new ConcurrentHashMap<>();

  private NodeProcess start(String url, String node, String... pause) throws Exception {
    List<String> args = new ArrayList<>(List.of(url, node, TTL_MS));
    args.addAll(List.of(pause));
    NodeProcess p = new NodeProcess(dir, node, ClusterNode.class, line -> {
      String[] f = line.split(" ");
      switch (f[0]) {
        case "ACK" -> acked.add(f[1]);
        case "DUP" -> duplicates.add(f[1]);
        case "DONE" -> done.add(f[1] + " " + f[2]);
        case "FENCED" -> fenced.add(node + " " + f[1] + " " + f[2]);
        case "LEASE" -> holder.put(f[1], node + " " + f[2]);
        default -> {}
      }
    }, args);
    p.await("READY", WAIT);
    return p;
  }

  @Test
  void threeNodesOnePostgres() throws Exception {
    StorageConfig config = PgServerAccess.freshSchema();
    String url = config.url();
    int users = 3;
    int perUser = 6;
    Map<String, NodeProcess> nodes = new ConcurrentHashMap<>();
    try {
      // A takes u0's lease and pauses its turn before committing.
      nodes.put("a", start(url, "a", "u0"));
      send(nodes.get("a"), "u0", "u0-0");
      nodes.get("a").await("PAUSED api:u:u0", WAIT);
      nodes.put("b", start(url, "b"));
      nodes.put("c", start(url, "c"));
      // A's lease lapses (it is stuck); B or C takes u0 over under token 2 and answers u0-0.
      nodes.get("b").awaitState(() -> done.contains("u0-0 1"), WAIT, "u0-0 answered by the new owner");
      assertThat(holder.get("api:u:u0")).doesNotStartWith("a ").endsWith(" 2");
      // A wakes up and commits with its stale token: refused.
      nodes.get("a").send("GO");
      nodes.get("a").awaitState(() -> !fenced.isEmpty(), WAIT, "A fenced");
      // (Under a starved machine another node may also lose a lease between acquire and commit: also refused.)
      assertThat(fenced).contains("a api:u:u0 1");

      // Load: each message to one node, and re-delivered to another (a platform retry).
      List<String> live = new ArrayList<>(List.of("a", "b", "c"));
      String killed = "";
      for (int i = 0; i < perUser; i++) {
        for (int u = 0; u < users; u++) {
          if (u == 0 && i == 0) continue;
          String id = "u" + u + "-" + i;
          NodeProcess first = nodes.get(live.get((i + u) % live.size()));
          NodeProcess retry = nodes.get(live.get((i + u + 1) % live.size()));
          send(first, "u" + u, id);
          send(retry, "u" + u, id);
          first.awaitState(() -> duplicates.contains(id), WAIT, "duplicate of " + id);
        }
        if (i == 2) {
          // kill -9 the node holding u1's lease: its sessions must be taken over within a lease period.
          nodes.get("a").awaitState(() -> holder.containsKey("api:u:u1"), WAIT, "u1 leased");
          killed = holder.get("api:u:u1").split(" ")[0];
          nodes.get(killed).kill();
          live.remove(killed);
        }
      }
      NodeProcess any = nodes.get(live.getFirst());
      any.awaitState(() -> done.size() >= users * perUser, WAIT, "all turns done");
      String killedNode = killed;
      assertThat(holder.get("api:u:u1")).as("u1 taken over from the killed node").doesNotStartWith(killedNode + " ");
    } finally {
      for (NodeProcess p : nodes.values()) p.close();
    }

    assertThat(done).as("each message run once, across the cluster").doesNotHaveDuplicates().hasSize(users * perUser);
    for (int u = 0; u < users; u++) {
      for (int i = 0; i < perUser; i++) {
        assertThat(done).as("P9: u%d-%d is its session's turn %d", u, i, i + 1).contains("u" + u + "-" + i + " " + (i + 1));
      }
    }
    assertThat(acked).hasSize(users * perUser);
    try (Store store = PostgresStore.open(config, Duration.ofDays(1), new ManualScheduler())) {
      assertThat(store.unfinished()).isEmpty();
      for (int u = 0; u < users; u++) {
        SessionKey s = new SessionKey("api:u:u" + u);
        assertThat(store.loadSession(s).state()).containsEntry("n", Integer.toString(perUser));
        List<Reply> outbox = store.undeliveredReplies().stream().filter(r -> r.session().equals(s)).toList();
        assertThat(outbox).extracting(Reply::outboxSeq).containsExactly(1L, 2L, 3L, 4L, 5L, 6L);
        assertThat(outbox).extracting(Reply::inReplyTo)
            .containsExactly("u" + u + "-0", "u" + u + "-1", "u" + u + "-2", "u" + u + "-3", "u" + u + "-4", "u" + u + "-5");
      }
    }
  }

  private void send(NodeProcess node, String user, String id) throws InterruptedException {
    node.send("MSG " + user + " " + id);
    node.awaitState(() -> acked.contains(id) || duplicates.contains(id), WAIT, "ack of " + id);
  }
}
