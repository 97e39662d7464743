package dev.baton.jdbc.crash;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.SessionKey;
import dev.baton.config.StorageConfig;
import dev.baton.internal.agent.EchoAgent;
import dev.baton.jdbc.SqliteStore;
import dev.baton.spi.Store;
import dev.baton.testing.ManualScheduler;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 of a real Baton process on a SQLite store, at chosen points and at arbitrary points under load, then
 * a restart. Afterwards: every acknowledged message was answered (nothing lost), each exactly once and in its
 * session's order (turn counters exact), every tool side effect happened once, and a tool call that had
 * completed before the crash was not run again when its turn re-ran.
 */
class CrashRecoveryTest {

  private static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir Path dir;

  /** What the test process saw across all node lifetimes. */
  private final Set<String> acked = ConcurrentHashMap.newKeySet();
  /** (session outboxSeq) -> "turn inReplyTo"; a redelivery must carry the same content. */
  private final Map<String, String> replies = new ConcurrentHashMap<>();
  /** "turn inReplyTo" -> how many times that reply was handed to the channel. */
  private final Map<String, Integer> deliveries = new ConcurrentHashMap<>();
  private final List<String> conflictingRedeliveries = new java.util.concurrent.CopyOnWriteArrayList<>();

  private void onEvent(String line) {
    String[] f = line.split(" ");
    switch (f[0]) {
      case "ACK", "DUP" -> acked.add(f[1]);
      case "REPLY" -> {
        String key = f[1] + " " + f[2];
        String value = f[3] + " " + f[4];
        String before = replies.putIfAbsent(key, value);
        deliveries.merge(f[4], 1, Integer::sum);
        if (before != null && !before.equals(value)) conflictingRedeliveries.add(key + ": " + before + " / " + value);
      }
      default -> {}
    }
  }

  private NodeProcess start(String name, String... pause) throws Exception {
    List<String> args = new ArrayList<>(List.of(dir.resolve("baton.db").toString(),
        dir.resolve("effects.txt").toString(), dir.resolve("executions.txt").toString()));
    args.addAll(List.of(pause));
    NodeProcess n = new NodeProcess(dir, name, this::onEvent, args);
    n.await("READY", WAIT);
    return n;
  }

  private static List<String> ids(int users, int perUser) {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < perUser; i++) for (int u = 0; u < users; u++) ids.add("u" + u + "-" + i);
    return ids;
  }

  private static void sendAll(NodeProcess n, List<String> ids) {
    for (String id : ids) n.send("MSG " + id.substring(0, id.indexOf('-')) + " " + id + " text-of-" + id);
  }

  private void awaitAllAnswered(NodeProcess n, List<String> ids) throws InterruptedException {
    n.awaitState(() -> answered().containsAll(ids), WAIT, "replies to all " + ids.size() + " messages");
  }

  private Set<String> answered() {
    return replies.values().stream().map(v -> v.split(" ")[1]).collect(Collectors.toSet());
  }

  @Test
  void killedAtChosenPointsNothingIsLostOrDoneTwice() throws Exception {
    List<String> ids = ids(4, 5);
    // 1. Kill while u1's turn for u1-2 has done its tool call (side effect + record) but not committed.
    try (NodeProcess n = start("node1", "after-tool:u1-2")) {
      sendAll(n, ids);
      n.awaitState(() -> acked.containsAll(ids), WAIT, "all acks");
      n.await("PAUSED after-tool u1-2", WAIT);
      // Let every other session finish first, so the kill lands only on u1's turn (under load, a kill may also
      // cut another tool between its side effect and its record: killedUnderLoad covers that).
      List<String> others = ids.stream().filter(id -> !List.of("u1-2", "u1-3", "u1-4").contains(id)).toList();
      n.awaitState(() -> answered().containsAll(others), WAIT, "other sessions answered");
      n.kill();
    }
    assertThat(answered()).doesNotContain("u1-2", "u1-3", "u1-4");
    // 2. Restart; the client re-sends everything (all duplicates now). Kill after u1-3's reply was handed
    //    out but before it was marked delivered.
    try (NodeProcess n = start("node2", "in-reply:u1-3")) {
      sendAll(n, ids);
      n.await("PAUSED in-reply u1-3", WAIT);
      n.kill();
    }
    // 3. Restart without kill points: everything left runs, the undelivered reply is offered again.
    try (NodeProcess n = start("node3")) {
      sendAll(n, ids);
      awaitAllAnswered(n, ids);
      n.quit();
    }
    verify(ids, 4, 5);
    assertThat(deliveries).as("u1-3's reply: handed out, crash before the ack, offered again after restart")
        .containsEntry("u1-3", 2);
    Map<String, Long> executions = countLines(dir.resolve("executions.txt"));
    assertThat(executions).as("tool bodies run (u1-2's completed call must not run again)")
        .containsEntry("u1-2", 1L).hasSize(ids.size()).allSatisfy((id, n) -> assertThat(n).as(id).isEqualTo(1L));
  }

  @Test
  void killedUnderLoadNothingIsLostOrDoneTwice() throws Exception {
    killUnderLoad(8, 25, List.of(30, 120));
  }

  @Test
  @Tag("slow")
  void killedUnderLoadAtManyPointsNothingIsLostOrDoneTwice() throws Exception {
    killUnderLoad(8, 60, List.of(10, 50, 90, 160, 230, 300, 380, 450));
  }

  private void killUnderLoad(int users, int perUser, List<Integer> killAfterAcks) throws Exception {
    List<String> ids = ids(users, perUser);
    int round = 0;
    for (int k : killAfterAcks) {
      try (NodeProcess n = start("load" + round++)) {
        sendAll(n, ids);
        n.awaitState(() -> acked.size() >= Math.min(k, ids.size()), WAIT, k + " acks");
        n.kill();
      }
    }
    try (NodeProcess n = start("final")) {
      sendAll(n, ids);
      awaitAllAnswered(n, ids);
      n.quit();
    }
    verify(ids, users, perUser);
  }

  /** The invariants every scenario ends with. */
  private void verify(List<String> ids, int users, int perUser) throws Exception {
    assertThat(conflictingRedeliveries).as("a reply delivered again with other content").isEmpty();
    assertThat(acked).containsExactlyInAnyOrderElementsOf(ids);
    // Each message answered by exactly one committed reply (no message processed twice) ...
    Map<String, List<String>> byMessage = new HashMap<>();
    replies.forEach((k, v) -> byMessage.computeIfAbsent(v.split(" ")[1], x -> new ArrayList<>()).add(k));
    assertThat(byMessage.keySet()).containsExactlyInAnyOrderElementsOf(ids);
    byMessage.forEach((id, rs) -> assertThat(rs).as("replies to " + id).hasSize(1));
    // ... and each session's turns are 1..n in its messages' order (turn counter exact, order kept).
    for (int u = 0; u < users; u++) {
      Map<Integer, Long> turnByIndex = new TreeMap<>();
      String prefix = "u" + u + "-";
      for (String v : replies.values()) {
        String[] f = v.split(" ");
        if (f[1].startsWith(prefix)) turnByIndex.put(Integer.parseInt(f[1].substring(prefix.length())), Long.parseLong(f[0]));
      }
      List<Long> expected = new ArrayList<>();
      for (long t = 1; t <= perUser; t++) expected.add(t);
      assertThat(new ArrayList<>(turnByIndex.values())).as("turns of u" + u + " by message index").isEqualTo(expected);
    }
    Map<String, Long> effects = countLines(dir.resolve("effects.txt"));
    assertThat(effects.keySet()).containsExactlyInAnyOrderElementsOf(ids);
    effects.forEach((id, n) -> assertThat(n).as("side effects of " + id).isEqualTo(1L));
    try (Store store = SqliteStore.open(StorageConfig.sqlite(dir.resolve("baton.db").toString()), Duration.ofDays(1),
        new ManualScheduler())) {
      assertThat(store.unfinished()).isEmpty();
      assertThat(store.undeliveredReplies()).isEmpty();
      for (int u = 0; u < users; u++) {
        var data = store.loadSession(new SessionKey("crash:u:u" + u));
        assertThat(data.state()).containsEntry(EchoAgent.TURNS_KEY, Integer.toString(perUser));
        assertThat(data.lastOutboxSeq()).isEqualTo(perUser);
      }
    }
  }

  private static Map<String, Long> countLines(Path file) throws Exception {
    if (!Files.exists(file)) return Map.of();
    return Files.readAllLines(file).stream().filter(s -> !s.isEmpty())
        .collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
  }
}
