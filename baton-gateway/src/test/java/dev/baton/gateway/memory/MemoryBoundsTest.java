package dev.baton.gateway.memory;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.gateway.support.Tokens;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * P11 end to end (issue 10): a hostile client sprays chats and a crowd of clients never poll their replies,
 * against the real gateway on loopback with SQLite, in a JVM of 256 MB ({@link MemoryNode}). The node must
 * not run out of memory, honest users are still served (during the spray and after it), and a kill -9 restart
 * recovers. The default run is a
 * tenth of the issue's figures; {@code ./run-tests -Pslow} runs 100,000 chats and 50,000 replies. Figures:
 * docs/bench/memory.md.
 */
class MemoryBoundsTest {

  static final Duration LONG = Duration.ofMinutes(5);
  static final ObjectMapper M = new ObjectMapper();
  @TempDir Path dir;

  @Test
  void aTenthOfTheIssuesLoadKeepsMemoryFlat() throws Exception {
    run(10_000, 10, 500);
  }

  @Tag("slow")
  @Test
  void sprayed100kChatsAnd50kNeverPolledRepliesUnder256m() throws Exception {
    run(100_000, 50, 1_000);
  }

  /** {@code chats} sprayed by one user; {@code idlers} users each sending {@code perIdler} and never polling. */
  private void run(int chats, int idlers, int perIdler) throws Exception {
    String db = dir.resolve("baton.db").toString();
    Instant exp = Instant.now().plusSeconds(3600);
    HttpClient http = HttpClient.newBuilder().executor(Executors.newVirtualThreadPerTaskExecutor())
        .connectTimeout(Duration.ofSeconds(10)).build();
    long t0 = System.nanoTime();
    Node node = new Node(db);
    try {
      URI base = node.base();
      // 1. One user sprays new chats, 64 requests in flight.
      // Her token grants 1000 chats (the claim's maximum); she sprays those and as many chats she is not in.
      String mallory = Tokens.bearer("mallory", exp, java.util.stream.IntStream.range(0, 1000)
          .mapToObj(k -> "c" + k).toArray(String[]::new));
      Map<Integer, AtomicInteger> spray = new ConcurrentHashMap<>();
      Semaphore inFlight = new Semaphore(64);
      List<Thread> ts = new ArrayList<>();
      java.util.concurrent.atomic.AtomicReference<Throwable> honestDuringSpray = new java.util.concurrent.atomic
          .AtomicReference<>(new AssertionError("the honest user's check did not run"));
      for (int i = 0; i < chats; i++) {
        if (i == chats / 2) { // an honest user, in the middle of the spray
          ts.add(Thread.ofVirtual().start(() -> {
            try {
              assertHonestUserServed(http, base, "carol", "c1");
              honestDuringSpray.set(null);
            } catch (Throwable e) {
              honestDuringSpray.set(e);
            }
          }));
        }
        inFlight.acquire();
        int n = i;
        ts.add(Thread.ofVirtual().start(() -> {
          try {
            int st = post(http, base, mallory, "{\"id\":\"s" + n + "\",\"text\":\"x\",\"chat\":\"c" + (n % 2000) + "\"}");
            spray.computeIfAbsent(st, k -> new AtomicInteger()).incrementAndGet();
          } finally {
            inFlight.release();
          }
        }));
      }
      for (Thread t : ts) t.join(LONG);
      assertThat(honestDuringSpray.get()).as("an honest user during the spray").isNull();
      // 2. Idle users send one message after another and never poll.
      Map<Integer, AtomicInteger> idle = new ConcurrentHashMap<>();
      ts.clear();
      for (int u = 0; u < idlers; u++) {
        String token = Tokens.bearer("idle-" + u, exp);
        String prefix = "m"; // the same ids for every user: the dedup key is the sender's own
        ts.add(Thread.ofVirtual().start(() -> {
          for (int i = 0; i < perIdler; i++) {
            int st = post(http, base, token, "{\"id\":\"" + prefix + i + "\",\"text\":\"y\"}");
            idle.computeIfAbsent(st, k -> new AtomicInteger()).incrementAndGet();
          }
        }));
      }
      for (Thread t : ts) t.join(LONG);
      assertThat(spray.keySet()).as("spray statuses %s", spray).isSubsetOf(202, 403, 429);
      assertThat(spray.get(429)).as("the spray of granted chats was refused at the bounds").isNotNull();
      assertThat(spray.get(403)).as("the spray of chats she is not in was forbidden").isNotNull();
      assertThat(idle.keySet()).as("idle statuses %s", idle).isSubsetOf(202, 429);
      // 3. An honest user is served.
      assertHonestUserServed(http, base, "alice", "a1");
      String before = node.stats();
      // 4. kill -9, restart on the same file: recovery pages through the backlog.
      node.kill();
      node = new Node(db);
      assertHonestUserServed(http, node.base(), "bob", "b1");
      String after = node.stats();
      System.out.printf("MEMORY chats=%d idlers=%dx%d spray=%s idle=%s before[%s] restart[%s %s] total_ms=%d%n",
          chats, idlers, perIdler, spray, idle, before, node.started, after, (System.nanoTime() - t0) / 1_000_000);
      assertThat(heap(after)).isLessThan(200L << 20);
    } finally {
      node.kill();
      http.close();
    }
  }

  private static long heap(String stats) {
    return Long.parseLong(stats.replaceAll(".*heap=(\\d+).*", "$1"));
  }

  private static void assertHonestUserServed(HttpClient http, URI base, String user, String id) throws Exception {
    String token = Tokens.bearer(user, Instant.now().plusSeconds(3600));
    assertThat(post(http, base, token, "{\"id\":\"" + id + "\",\"text\":\"hello\"}")).isEqualTo(202);
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(base.resolve("/v1/replies?wait_ms=20000"))
        .header("Authorization", token).timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(M.readTree(r.body()).path("replies").get(0).path("text").asText()).isEqualTo("hello (turn 1)");
  }

  private static int post(HttpClient http, URI base, String token, String body) {
    try {
      return http.send(HttpRequest.newBuilder(base.resolve("/v1/messages")).header("Authorization", token)
          .header("Content-Type", "application/json").timeout(Duration.ofSeconds(60))
          .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.discarding())
          .statusCode();
    } catch (Exception e) {
      return -1; // a refused or reset connection: counted, and fails the status assertions
    }
  }

  /** {@link MemoryNode} in a JVM of 256 MB that exits on OutOfMemoryError. */
  private final class Node {
    final Process process;
    final PrintWriter stdin;
    final LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
    final String started;

    Node(String db) throws Exception {
      process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-cp", System.getProperty("java.class.path"), "-Xmx256m", "-XX:+ExitOnOutOfMemoryError",
          "-XX:TieredStopAtLevel=1", "--enable-native-access=ALL-UNNAMED", MemoryNode.class.getName(), db)
          .redirectError(dir.resolve("node-" + System.nanoTime() + ".stderr").toFile()).start();
      stdin = new PrintWriter(process.getOutputStream(), true, StandardCharsets.UTF_8);
      Thread.ofPlatform().daemon(true).start(() -> {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
            StandardCharsets.UTF_8))) {
          for (String l; (l = r.readLine()) != null; ) lines.add(l);
        } catch (java.io.IOException e) {
          // the process died
        }
      });
      started = next("PORT ");
    }

    URI base() {
      return URI.create("http://127.0.0.1:" + started.split(" ")[1]);
    }

    String next(String prefix) throws InterruptedException {
      long deadline = System.nanoTime() + LONG.toNanos();
      while (System.nanoTime() < deadline) {
        String l = lines.poll(200, TimeUnit.MILLISECONDS);
        if (l != null && l.startsWith(prefix)) return l;
        if (l == null && !process.isAlive()) {
          throw new AssertionError("node exited with " + process.exitValue() + " (3 = OutOfMemoryError)");
        }
      }
      throw new AssertionError("no '" + prefix + "' line from the node");
    }

    String stats() throws InterruptedException {
      stdin.println("STATS");
      return next("STATS ");
    }

    void kill() throws InterruptedException {
      process.toHandle().destroyForcibly();
      process.waitFor(30, TimeUnit.SECONDS);
    }
  }
}
