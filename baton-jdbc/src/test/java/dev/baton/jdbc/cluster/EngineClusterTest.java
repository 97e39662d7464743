package dev.baton.jdbc.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.config.StorageConfig;
import dev.baton.jdbc.PgServerAccess;
import dev.baton.jdbc.PostgresStore;
import dev.baton.jdbc.crash.NodeProcess;
import dev.baton.spi.SessionLeases;
import dev.baton.spi.Store;
import dev.baton.testing.ManualScheduler;
import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Three real Baton engines ({@link EngineClusterNode}, each its own JVM) in cluster mode on one real
 * PostgreSQL (fsync and synchronous_commit on), under load, with one node killed by kill -9 inside a turn and
 * one node whose lease lapses inside a turn. Checked across the cluster, from the nodes' output and from the
 * database itself:
 *
 * <ul>
 *   <li><b>P2</b>: every message is delivered twice, to two different nodes (a platform retry): the first is
 *       accepted, the retry is a duplicate; each message is run by exactly one committed turn (the echo
 *       agent's turn counter and the recorded message ids are exact); replies are printed once each, twice
 *       only across the kill.
 *   <li><b>P3</b>: a probe table that the agents update at the start and end of every turn shows at most
 *       {@code cluster.max_concurrent_total} turns running at once anywhere, at most each node's own
 *       {@code max_concurrent_total} on each node, and never two turns of one session, except the stale
 *       owner's turn that fencing then refused.
 *   <li><b>P9</b>: each user sends its next message only after the previous one was acknowledged, each to a
 *       random node; every session's replies are turns 1..n answering its messages in send order.
 *   <li><b>Fencing</b>: the stale owner's commit is refused ({@code FENCED}), the new owner's stands.
 *   <li><b>Takeover</b>: the killed node's unfinished messages and undelivered replies are handled by others.
 * </ul>
 */
class EngineClusterTest {

  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final long TTL_MS = 3000; // generous: a starved JVM on a 2-core CI machine must not lose its permits
  private static final long POLL_MS = 50;
  static final int USERS = 30;
  static final int PER_USER = 20;
  /** The stale owner's message: node a holds its turn until its lease lapsed and another node answered it. */
  static final String HOLD = "z-0";
  static final String HOLD_NODE = "a";
  /** The message whose turn is running when its node is killed. */
  static final String PARK = "u7-10";
  /** The outcome of a delivery to a node that was killed before it answered. */
  static final String LOST = "LOST";

  @TempDir Path dir;
  /** {@code cluster.max_concurrent_total} of this run; 0 = none. */
  private int clusterMax;

  private final ClusterEvents events = new ClusterEvents();
  private final Map<String, NodeProcess> nodes = new ConcurrentHashMap<>();
  private final List<String> live = new CopyOnWriteArrayList<>();
  private final Set<String> dead = ConcurrentHashMap.newKeySet();
  /** The simulated users: one thread each. */
  private final List<Thread> users = new CopyOnWriteArrayList<>();
  /** Set when the run ends early: the user threads stop sending. */
  private volatile boolean stopping;

  private NodeProcess start(String url, String name) throws Exception {
    NodeProcess p = new NodeProcess(dir, name, EngineClusterNode.class, line -> events.onEvent(name, line),
        List.of(url, name, Long.toString(TTL_MS), Long.toString(POLL_MS), HOLD, PARK, Integer.toString(clusterMax)));
    nodes.put(name, p);
    return p;
  }

  /**
   * With a cluster-wide cap of 2 (as many as one node's own cap: the nodes must share), and with none (then
   * each node's own cap of 2 is what holds, and turns run on all three nodes at once).
   */
  @ParameterizedTest(name = "cluster.max_concurrent_total = {0}")
  @ValueSource(ints = {2, 0})
  void threeEnginesOnePostgresUnderLoadWithKillAndStaleOwner(int clusterMax) throws Exception {
    this.clusterMax = clusterMax;
    try {
      run();
    } catch (Throwable t) {
      dumpNodeLogs();
      throw t;
    }
  }

  /**
   * On failure: what was seen, the last protocol lines of every node and the end of its stderr (engine logs),
   * which the temporary directory would lose.
   */
  private void dumpNodeLogs() throws IOException {
    Set<String> answered = events.answered();
    List<String> missing = allIds().stream().filter(id -> !answered.contains(id)).toList();
    dumpRows(missing);
    System.err.printf("---- %d replies printed, %d messages unanswered %s; commit lines: %d COMMIT, %d FENCED,"
        + " %d CONFLICT; dead: %s%n", events.replies.size(), missing.size(),
        missing.subList(0, Math.min(20, missing.size())), events.count("COMMIT"), events.count("FENCED"),
        events.count("CONFLICT"), dead);
    events.commits.stream().filter(l -> !l.split(" ")[1].equals("COMMIT")).limit(20).forEach(System.err::println);
    Path keep = Path.of("target", "engine-cluster");
    Files.createDirectories(keep);
    System.err.println("---- every line of every node: " + keep.toAbsolutePath());
    for (String n : nodes.keySet()) {
      List<String> out = events.stdout.getOrDefault(n, List.of());
      Files.write(keep.resolve(n + ".stdout"), out);
      if (Files.exists(dir.resolve(n + ".stderr"))) {
        Files.copy(dir.resolve(n + ".stderr"), keep.resolve(n + ".stderr"), StandardCopyOption.REPLACE_EXISTING);
      }
      System.err.println("---- stdout of node " + n + " (last 30 of " + out.size() + " lines)");
      out.subList(Math.max(0, out.size() - 30), out.size()).forEach(System.err::println);
      Path log = dir.resolve(n + ".stderr");
      if (!Files.exists(log)) continue;
      List<String> lines = Files.readAllLines(log);
      System.err.println("---- stderr of node " + n + " (last 60 of " + lines.size() + " lines)");
      lines.subList(Math.max(0, lines.size() - 60), lines.size()).forEach(System.err::println);
    }
  }

  /** The journal rows of unanswered messages and their sessions' outbox rows, as the database has them now. */
  private void dumpRows(List<String> missing) {
    String url = this.url;
    if (url == null || missing.isEmpty()) return;
    try (Connection c = DriverManager.getConnection(url, "postgres", "")) {
      for (String id : missing.subList(0, Math.min(5, missing.size()))) {
        String session = "api:u:" + id.substring(0, id.indexOf('-'));
        System.err.println("---- " + id + ": journal " + ClusterChecks.queryStrings(c,
            "SELECT seq || ' ' || status FROM journal WHERE message_id = ?", id) + "; session " + ClusterChecks
            .queryStrings(c, "SELECT last_outbox_seq || ' ' || coalesce(lease_owner, '-') || ' ' || lease_token"
                + " FROM sessions WHERE session = ?", session) + "; outbox " + ClusterChecks.queryStrings(c,
            "SELECT outbox_seq || ' ' || in_reply_to FROM outbox WHERE session = ? ORDER BY outbox_seq", session));
      }
    } catch (SQLException e) {
      System.err.println("---- could not read the rows: " + e);
    }
  }

  /** The JDBC URL of the run's schema (for the dump on failure). */
  private volatile @org.jspecify.annotations.Nullable String url;

  private void run() throws Exception {
    StorageConfig storage = PgServerAccess.freshSchema();
    this.url = storage.url();
    String url = storage.url();
    // Migrate the fresh schema first: Flyway will not migrate a schema that already holds the probe's tables.
    PostgresStore.open(storage, Duration.ofDays(1), new ManualScheduler()).close();
    TurnProbe.createTables(url);
    long began = System.nanoTime();
    ClusterChecks.Killed killed;
    try (TurnProbe probe = new TurnProbe(url, 1)) {
      // 1. Stale owner. Node a alone takes z's lease and holds z-0's turn (state staged, not committed), cut off
      //    from renewing its lease. Nodes b and c start; once the lease lapsed one of them takes z over and
      //    answers z-0. Then a's turn returns and its engine commits under the old token: refused.
      start(url, "a").await("READY", WAIT);
      live.add("a");
      assertThat(deliver("a", "z", HOLD)).isEqualTo("ACK");
      awaitState(() -> events.heldBy.containsKey(HOLD), "a holds " + HOLD);
      start(url, "b");
      start(url, "c");
      nodes.get("b").await("READY", WAIT);
      nodes.get("c").await("READY", WAIT);
      live.addAll(List.of("b", "c"));
      awaitState(() -> events.replyTo(HOLD).isPresent(), HOLD + " answered by the new owner");
      nodes.get(HOLD_NODE).send("GO");
      awaitState(() -> !events.commitLines(HOLD_NODE, "api:u:z").isEmpty(), "the stale owner's commit of " + HOLD);

      // 2. Load: users in parallel, each message to a random live node then re-delivered to another one.
      //    Mid-load the node running u7-10 is killed inside that turn.
      List<Throwable> errors = new CopyOnWriteArrayList<>();
      long seed = System.nanoTime();
      System.out.println("EngineClusterTest seed " + seed);
      for (int u = 0; u < USERS; u++) {
        int user = u;
        users.add(Thread.ofVirtual().start(() -> {
          try {
            sendAll(user, new Random(seed + user));
          } catch (Throwable t) {
            errors.add(t);
          }
        }));
      }
      awaitState(() -> events.parkedBy.containsKey(PARK), "a node running " + PARK);
      killed = kill(events.parkedBy.get(PARK), probe, url);
      for (Thread t : users) {
        assertThat(t.join(WAIT)).as("user thread finished").isTrue();
      }
      assertThat(errors).as("errors in user threads").isEmpty();
      List<String> all = allIds();
      awaitState(() -> events.answered().containsAll(all), "replies to all " + all.size() + " messages");
      for (String n : live) nodes.get(n).quit();
    } finally {
      stopping = true;
      for (NodeProcess p : nodes.values()) p.close();
      events.admissions.values().forEach(f -> f.complete(LOST)); // wakes user threads of a failed run
      for (Thread t : users) t.join(WAIT);
    }
    System.out.printf("EngineClusterTest (cluster cap %d): %d messages, 3 nodes, %d ms; lease calls cut: %s; killed %s"
        + " (%s) holding %d sessions with %d unfinished messages and %d undelivered replies%n", clusterMax, allIds().size(),
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began), events.leaseCuts, killed.node(), killed.owner(),
        killed.sessions().size(), killed.unfinished().size(), killed.undelivered().size());

    new ClusterChecks(events, storage, clusterMax, killed).all();
  }

  // ---- load ------------------------------------------------------------------------------------------------

  private void sendAll(int user, Random random) throws Exception {
    for (int i = 0; i < PER_USER; i++) {
      String id = "u" + user + "-" + i;
      List<String> results = events.deliveries.computeIfAbsent(id, k -> new CopyOnWriteArrayList<>());
      String first;
      String result;
      do { // a delivery the killed node never answered is retried elsewhere, as a platform would
        if (stopping) return;
        first = pick(random, "");
        result = deliver(first, "u" + user, id);
        results.add("first:" + first + ":" + result);
      } while (result.equals(LOST));
      String retry;
      do {
        if (stopping) return;
        retry = pick(random, first);
        result = deliver(retry, "u" + user, id);
        results.add("retry:" + retry + ":" + result);
      } while (result.equals(LOST));
    }
  }

  private String pick(Random random, String not) {
    List<String> choices = new ArrayList<>(live);
    if (choices.size() > 1) choices.remove(not);
    return choices.get(random.nextInt(choices.size()));
  }

  /** Sends one delivery and waits for the node's answer, or {@link #LOST} if the node was killed first. */
  private String deliver(String node, String user, String id) throws Exception {
    CompletableFuture<String> answer = events.admission(node, id);
    nodes.get(node).send("MSG " + user + " " + id);
    if (dead.contains(node)) answer.complete(LOST); // else the kill completes it (see kill)
    try {
      return answer.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new AssertionError("no answer from " + node + " to " + id, e);
    }
  }

  /**
   * kill -9 of {@code node}, then, at once, its probe rows are removed. They must go: the process is dead, so
   * its turns no longer run, and once its lease and cluster permits expire other nodes rightly run that
   * session and use those permits; rows of turns that no longer run would then be counted with theirs and
   * report an overlap or an excess that never happened. They must not go earlier (the turn may still run until
   * the process is confirmed dead), and may go at any point before the lease could expire: until then neither
   * the session nor the permits can be taken by another node. Confirmed death and the delete take a few
   * milliseconds of the 1.5 s lease. Then the database is read for what the dead node left behind.
   */
  private ClusterChecks.Killed kill(String node, TurnProbe probe, String url) throws Exception {
    live.remove(node);
    nodes.get(node).kill(); // returns once the process is gone and its stdout was read to the end
    probe.killed(node);
    dead.add(node);
    events.admissions.forEach((k, f) -> {
      if (k.startsWith(node + " ")) f.complete(LOST);
    });
    try (Connection c = DriverManager.getConnection(url, "postgres", "")) {
      String owner = ClusterChecks.queryStrings(c, "SELECT lease_owner FROM sessions WHERE session = ?", "api:u:u7").getFirst();
      Set<String> sessions = Set.copyOf(ClusterChecks.queryStrings(c, "SELECT session FROM sessions WHERE lease_owner = ?", owner));
      Set<String> unfinished = Set.copyOf(ClusterChecks.queryStrings(c, "SELECT message_id FROM journal WHERE session IN (SELECT"
          + " session FROM sessions WHERE lease_owner = ?) AND status IN ('RECEIVED', 'QUEUED', 'RUNNING')", owner));
      Set<String> undelivered = Set.copyOf(ClusterChecks.queryStrings(c, "SELECT in_reply_to FROM outbox WHERE session IN (SELECT"
          + " session FROM sessions WHERE lease_owner = ?)", owner));
      return new ClusterChecks.Killed(node, owner, sessions, unfinished, undelivered);
    }
  }

  // ---- helpers ---------------------------------------------------------------------------------------------

  private void awaitState(BooleanSupplier condition, String what) throws InterruptedException {
    events.awaitState(condition, what, WAIT);
  }

  static List<String> allIds() {
    List<String> ids = new ArrayList<>(List.of(HOLD));
    for (int u = 0; u < USERS; u++) for (int i = 0; i < PER_USER; i++) ids.add("u" + u + "-" + i);
    return ids;
  }

  /** {@link ObservedStore} must forward every method of the SPI: a default left in place would hide the store's. */
  @Test
  void forwardingStoreForwardsEveryMethod() {
    Map<Class<?>, Class<?>> wrappers = new HashMap<>(Map.of(Store.class, ForwardingStore.class, SessionLeases.class,
        ForwardingStore.ForwardingLeases.class));
    wrappers.forEach((spi, wrapper) -> {
      for (Method m : spi.getMethods()) {
        if (Modifier.isStatic(m.getModifiers())) continue;
        assertThat(declares(wrapper, m)).as("%s overrides %s", wrapper.getSimpleName(), m).isTrue();
      }
    });
  }

  private static boolean declares(Class<?> c, Method m) {
    try {
      c.getDeclaredMethod(m.getName(), m.getParameterTypes());
      return true;
    } catch (NoSuchMethodException e) {
      return false;
    }
  }
}
