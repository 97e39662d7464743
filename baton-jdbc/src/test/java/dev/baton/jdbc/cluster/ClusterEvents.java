package dev.baton.jdbc.cluster;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;

/**
 * What the nodes of {@link EngineClusterTest} printed ({@link EngineClusterNode}'s protocol), recorded as it
 * arrives. Thread-safe: each node's reader thread calls {@link #onEvent}; the test thread and the user threads
 * read and wait ({@link #awaitState}) concurrently.
 */
final class ClusterEvents {

  record ReplyLine(String session, long outboxSeq, long turn, String inReplyTo, String node) {}

  /** Notified after every line. */
  private final Object changed = new Object();
  /** "node id" -> what that node's submit returned for that message. */
  final Map<String, CompletableFuture<String>> admissions = new ConcurrentHashMap<>();
  /** message id -> results of its deliveries, in order: "first:node:RESULT", "retry:node:RESULT". */
  final Map<String, List<String>> deliveries = new ConcurrentHashMap<>();
  final List<ReplyLine> replies = new CopyOnWriteArrayList<>();
  /** "node line" for COMMIT, FENCED and CONFLICT lines. */
  final List<String> commits = new CopyOnWriteArrayList<>();
  final List<String> problems = new CopyOnWriteArrayList<>();
  final Map<String, String> heldBy = new ConcurrentHashMap<>();
  final Map<String, String> parkedBy = new ConcurrentHashMap<>();
  final Set<String> leaseCuts = ConcurrentHashMap.newKeySet();
  /** Every line each node printed, for the report of a failure. */
  final Map<String, List<String>> stdout = new ConcurrentHashMap<>();

  void onEvent(String node, String line) {
    stdout.computeIfAbsent(node, k -> new CopyOnWriteArrayList<>()).add(line);
    String[] f = line.split(" ");
    switch (f[0]) {
      case "ACK", "DUP", "NACK" -> admission(node, f[1]).complete(f[0].equals("NACK") ? line : f[0]);
      case "REPLY" -> replies.add(new ReplyLine(f[1], Long.parseLong(f[2]), Long.parseLong(f[3]), f[4], f[5]));
      case "COMMIT", "FENCED", "CONFLICT" -> commits.add(node + " " + line);
      case "HELD" -> heldBy.put(f[1], node);
      case "PARKED" -> parkedBy.put(f[1], node);
      case "LEASE-CUT" -> leaseCuts.add(f[1]);
      case "PROBE-ERROR" -> problems.add(node + " " + line);
      default -> {}
    }
    synchronized (changed) {
      changed.notifyAll();
    }
  }

  /** The answer {@code node} gives (or gave) to a delivery of message {@code id}. */
  CompletableFuture<String> admission(String node, String id) {
    return admissions.computeIfAbsent(node + " " + id, k -> new CompletableFuture<>());
  }

  Set<String> answered() {
    return replies.stream().map(ReplyLine::inReplyTo).collect(Collectors.toSet());
  }

  Optional<ReplyLine> replyTo(String id) {
    return replies.stream().filter(r -> r.inReplyTo().equals(id)).findFirst();
  }

  /** The COMMIT/FENCED/CONFLICT lines of {@code node} for {@code session}. */
  List<String> commitLines(String node, String session) {
    return commits.stream().filter(l -> l.startsWith(node + " ") && l.split(" ")[2].equals(session)).toList();
  }

  long count(String kind) {
    return commits.stream().filter(l -> l.split(" ")[1].equals(kind)).count();
  }

  /** Waits until {@code condition} holds, re-checking after every line a node prints; fails after {@code timeout}. */
  void awaitState(BooleanSupplier condition, String what, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (changed) {
      while (!condition.getAsBoolean()) {
        long left = deadline - System.nanoTime();
        if (left <= 0) throw new AssertionError("timed out waiting for " + what);
        TimeUnit.NANOSECONDS.timedWait(changed, left);
      }
    }
  }
}
