package dev.baton.bench.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.baton.Agent;
import dev.baton.Baton;
import dev.baton.ReplyStream;
import dev.baton.config.BatonConfig;
import dev.baton.config.ConfigLoader;
import dev.baton.gateway.Gateway;
import dev.baton.gateway.ReplyRouter;
import dev.baton.spi.BatonJson;
import dev.baton.spi.Scheduler;
import dev.baton.spi.Store;
import dev.baton.spi.StoreProvider;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Live streams through {@code GET /v1/events} (P10): {@code N} users each hold one event stream open while a
 * streaming agent appends {@code R} deltas per second to each user's turn; the figure is the time from
 * {@link ReplyStream#append} to the client reading the delta off its socket (p50/p90/p99/max), plus the heap one
 * open, idle stream costs the server.
 *
 * <p>The server (engine, gateway, memory store) runs in a child JVM so that its heap is measured alone; the
 * clients are raw sockets on virtual threads in this JVM. Both read {@code System.nanoTime()}, one monotonic
 * clock per machine on Linux, so the agent writes its append time into each delta's text and the client
 * subtracts. A coalesced delta (the client or the server was behind) carries several append times: each is
 * counted, so merging shows as latency, never hides it.
 *
 * <pre>java -cp baton-benchmarks/target/benchmarks.jar dev.baton.bench.gateway.StreamFanoutLoad 1000 20 20</pre>
 * (streams, seconds measured after a 5 s warm-up, deltas per second per stream)
 */
public final class StreamFanoutLoad {

  private static final String SECRET = "stream-fanout-load-secret-0123456789abcdef";

  private StreamFanoutLoad() {}

  public static void main(String[] args) throws Exception {
    int streams = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
    int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 20;
    int rate = args.length > 2 ? Integer.parseInt(args[2]) : 20;
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Process server = new ProcessBuilder(java.toString(), "-Xmx1g", "-XX:+UseG1GC", "-cp",
        System.getProperty("java.class.path"), Server.class.getName(), Integer.toString(streams),
        Integer.toString(rate)).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    try {
      BufferedReader out = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
      PrintStream in = new PrintStream(server.getOutputStream(), true, StandardCharsets.UTF_8);
      int port = Integer.parseInt(out.readLine().substring("port ".length()));
      long heap0 = heap(in, out);

      Recorder latencies = new Recorder(3);
      AtomicLong deltas = new AtomicLong();
      CountDownLatch open = new CountDownLatch(streams);
      Client[] clients = new Client[streams];
      for (int i = 0; i < streams; i++) {
        clients[i] = new Client(port, "user-" + i, latencies, deltas, open);
        Thread.ofVirtual().start(clients[i]);
      }
      if (!open.await(60, TimeUnit.SECONDS)) throw new IllegalStateException("streams did not open");
      long heap1 = heap(in, out);

      for (Client c : clients) c.post();
      Thread.sleep(5_000); // warm-up: JIT, connection pools, every user's first turn
      latencies.getIntervalHistogram();
      long d0 = deltas.get();
      long t0 = System.nanoTime();
      Thread.sleep(seconds * 1000L);
      Histogram h = latencies.getIntervalHistogram();
      double perSecond = (deltas.get() - d0) / ((System.nanoTime() - t0) / 1e9);
      for (Client c : clients) c.stop();

      System.out.printf("streams %d, %d deltas/s each: received %.0f deltas/s (target %d)%n", streams, rate,
          perSecond, streams * rate);
      System.out.printf("append -> client, ms: p50 %.2f  p90 %.2f  p99 %.2f  p99.9 %.2f  max %.2f  (n=%d)%n",
          h.getValueAtPercentile(50) / 1e3, h.getValueAtPercentile(90) / 1e3, h.getValueAtPercentile(99) / 1e3,
          h.getValueAtPercentile(99.9) / 1e3, h.getMaxValue() / 1e3, h.getTotalCount());
      System.out.printf("server heap per open idle stream: %.0f bytes (%d streams: %d -> %d bytes after GC)%n",
          (heap1 - heap0) / (double) streams, streams, heap0, heap1);
      long errors = 0;
      for (Client c : clients) errors += c.errors;
      if (errors > 0) System.out.printf("client errors: %d%n", errors);
    } finally {
      server.destroy();
      server.waitFor(10, TimeUnit.SECONDS);
    }
  }

  private static long heap(PrintStream in, BufferedReader out) throws Exception {
    in.println("heap");
    return Long.parseLong(out.readLine().substring("heap ".length()));
  }

  static String token(String sub) throws JOSEException {
    JWTClaimsSet claims = new JWTClaimsSet.Builder().subject(sub)
        .expirationTime(Date.from(Instant.now().plus(Duration.ofHours(1)))).build();
    SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims);
    jwt.sign(new MACSigner(SECRET.getBytes(StandardCharsets.UTF_8)));
    return jwt.serialize();
  }

  /** One user: an event stream on a raw socket, and a message posted whenever the previous turn's reply came. */
  static final class Client implements Runnable {
    private final int port;
    private final String user;
    private final String auth;
    private final Recorder latencies;
    private final AtomicLong deltas;
    private final CountDownLatch open;
    private volatile boolean running = true;
    private int sent;
    volatile long errors;

    Client(int port, String user, Recorder latencies, AtomicLong deltas, CountDownLatch open) throws JOSEException {
      this.port = port;
      this.user = user;
      this.auth = "Bearer " + token(user);
      this.latencies = latencies;
      this.deltas = deltas;
      this.open = open;
    }

    @Override
    public void run() {
      try (Socket s = new Socket("127.0.0.1", port)) {
        OutputStream o = s.getOutputStream();
        o.write(("GET /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\nAuthorization: "
            + auth + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        o.flush();
        BufferedReader r = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
        String status = r.readLine();
        if (status == null || !status.contains(" 200")) throw new IllegalStateException(user + ": " + status);
        for (String h; (h = r.readLine()) != null && !h.isEmpty(); ) { } // headers
        open.countDown();
        String event = "";
        for (String line; running && (line = r.readLine()) != null; ) {
          if (line.startsWith("event: ")) {
            event = line.substring(7);
          } else if (line.startsWith("data: ")) {
            long now = System.nanoTime();
            if (event.equals("delta")) {
              JsonNode d = BatonJson.parse(line.substring(6));
              for (String ts : d.get("text").asText().split(" ")) {
                if (ts.isEmpty()) continue;
                latencies.recordValue(Math.max(0, (now - Long.parseLong(ts)) / 1_000));
                deltas.incrementAndGet();
              }
            } else if (event.equals("reply")) {
              post();
            }
          } else if (line.isEmpty()) {
            event = "";
          }
        }
      } catch (Exception e) {
        if (running) errors++;
        open.countDown();
      }
    }

    /** Posts the user's next message (a new turn), on its own connection. */
    void post() {
      if (!running) return;
      int n = ++sent;
      Thread.ofVirtual().start(() -> {
        String body = "{\"id\":\"" + user + "-" + n + "\",\"text\":\"go\"}";
        try (Socket s = new Socket("127.0.0.1", port)) {
          s.getOutputStream().write(("POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
              + "Content-Type: application/json\r\nAuthorization: " + auth + "\r\nContent-Length: "
              + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body).getBytes(StandardCharsets.UTF_8));
          String status = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8))
              .readLine();
          if (status == null || !status.contains(" 202")) errors++;
        } catch (Exception e) {
          errors++;
        }
      });
    }

    void stop() {
      running = false;
    }
  }

  /** The child JVM: engine, gateway and memory store; answers "heap" on stdin with the used heap after GC. */
  public static final class Server {
    public static void main(String[] args) throws Exception {
      int streams = Integer.parseInt(args[0]);
      int rate = Integer.parseInt(args[1]);
      String yaml = """
          server: {host: 127.0.0.1, port: 0}
          storage: {backend: memory}
          agent:
            turn_timeout_ms: 600000
            concurrency: {max_concurrent_total: %d, max_queued_total: %d}
          channels:
            api:
              max_event_streams_per_user: 2
              jwt: {hs256_secret: "%s"}
          """.formatted(streams, streams * 4, SECRET);
      BatonConfig cfg = new ConfigLoader(Map.of()).parse(yaml, "stream-fanout-load");
      Scheduler scheduler = Scheduler.system();
      Store store = null;
      for (StoreProvider p : ServiceLoader.load(StoreProvider.class)) {
        if (p.backend() == cfg.storage().backend()) store = p.open(cfg, scheduler);
      }
      if (store == null) throw new IllegalStateException("no memory store");
      long pauseNanos = 1_000_000_000L / rate;
      Agent agent = turn -> { // 2 s of streaming per turn: `rate` deltas a second, each its append time
        ReplyStream out = turn.openStream();
        long next = System.nanoTime();
        for (int i = 0; i < rate * 2; i++) {
          next += pauseNanos;
          long wait = next - System.nanoTime();
          if (wait > 0) TimeUnit.NANOSECONDS.sleep(wait);
          out.append(System.nanoTime() + " ");
        }
        out.finish();
      };
      SimpleMeterRegistry meters = new SimpleMeterRegistry();
      ReplyRouter router = ReplyRouter.create(cfg, store, scheduler, meters);
      Baton engine = Baton.builder().config(cfg).agent(agent).store(store).scheduler(scheduler)
          .meterRegistry(meters).replies(router).build();
      Gateway gateway = Gateway.builder(cfg).engine(engine).store(store).scheduler(scheduler).meterRegistry(meters)
          .replies(router).build().start();
      System.out.println("port " + gateway.port());
      BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
      for (String line; (line = in.readLine()) != null; ) {
        if (line.equals("heap")) System.out.println("heap " + usedAfterGc());
      }
      gateway.stop(Duration.ofSeconds(1));
      engine.close();
      store.close();
    }

    static long usedAfterGc() throws InterruptedException {
      var mem = ManagementFactory.getMemoryMXBean();
      for (int i = 0; i < 3; i++) {
        System.gc();
        Thread.sleep(100);
      }
      return mem.getHeapMemoryUsage().getUsed();
    }
  }
}
