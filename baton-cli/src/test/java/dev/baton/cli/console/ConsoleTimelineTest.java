package dev.baton.cli.console;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.Baton;
import dev.baton.BatonContext;
import dev.baton.cli.ServeCommand;
import dev.baton.config.BatonConfig;
import dev.baton.config.ConfigLoader;
import dev.baton.gateway.Gateway;
import dev.baton.gateway.ReplyRouter;
import dev.baton.spi.Scheduler;
import dev.baton.spi.Store;
import dev.baton.spi.TimelineObserver;
import dev.baton.spi.tool.ToolCall;
import dev.baton.tools.Access;
import dev.baton.tools.BatonTools;
import dev.baton.tools.Resource;
import dev.baton.tools.Tool;
import dev.baton.tools.ToolContext;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The console's timeline is exact (docs/console.md, "One session's timeline"), over real sockets and without a
 * console page open while it happens (so nothing is sampled): two short turns of one Telegram session, the second
 * queued while the first runs (back to back, far shorter than the 1 s snapshot), each with a tool call that waits
 * for a lock held by a sibling call, each reply delivered by a Bot API stub that answers 500 and then 200. Read
 * afterwards from {@code GET /console/stream?session=}, the timeline has for each turn, in order: the message,
 * the turn's start, the tool call, its lock wait, the tool's end, the turn's end, the reply, delivery attempt 1
 * (retry) and attempt 2 (delivered); no message text is in it.
 */
class ConsoleTimelineTest {

  static final String ADMIN = "console-admin-token-0123456789abcdef0123";
  static final String SECRET = "tg-secret-token_0123456789abcdefghij";
  static final ObjectMapper M = new ObjectMapper();

  /** Per message: released once {@code hold} has its lock, so {@code guarded} asks for it only then. */
  static final Map<String, CountDownLatch> HELD = new ConcurrentHashMap<>();
  static final AtomicReference<BatonTools> TOOLS = new AtomicReference<>();

  /** Takes room:k and returns once another call ({@code guarded}) waits for it in the graph. */
  static final class Hold implements Tool {
    @Override
    public String name() {
      return "hold";
    }

    @Override
    public String description() {
      return "holds a room until someone waits for it";
    }

    @Override
    public String inputSchema() {
      return "{\"type\":\"object\"}";
    }

    @Override
    public List<Resource> resources(JsonNode args, ToolContext ctx) {
      return List.of(Resource.of("room", "k", Access.EXCLUSIVE));
    }

    @Override
    public JsonNode execute(JsonNode args, ToolContext ctx) throws InterruptedException {
      HELD.computeIfAbsent(args.path("m").asText(), k -> new CountDownLatch(1)).countDown();
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      // bounded polling of the graph's state, until guarded queues for the room
      while (TOOLS.get().waitForGraph().snapshot().waits().stream().noneMatch(w -> w.waitsFor().contains("room:k"))) {
        if (System.nanoTime() > until) throw new IllegalStateException("nobody came to wait for the room");
        Thread.sleep(1);
      }
      return ctx.json().textNode("held");
    }
  }

  /** Needs room:k, asked for only once {@code hold} holds it: so it always queues. */
  static final class Guarded implements Tool {
    @Override
    public String name() {
      return "guarded";
    }

    @Override
    public String description() {
      return "needs the room";
    }

    @Override
    public String inputSchema() {
      return "{\"type\":\"object\"}";
    }

    @Override
    public List<Resource> resources(JsonNode args, ToolContext ctx) {
      try {
        if (!HELD.computeIfAbsent(args.path("m").asText(), k -> new CountDownLatch(1)).await(20, TimeUnit.SECONDS)) {
          throw new IllegalStateException("hold never took the room");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted", e);
      }
      return List.of(Resource.of("room", "k", Access.EXCLUSIVE));
    }

    @Override
    public JsonNode execute(JsonNode args, ToolContext ctx) {
      return ctx.json().textNode("in the room");
    }
  }

  @Test
  void twoBackToBackTurnsWithALockWaitAndARetriedDeliveryAreEachInTheTimelineInOrder(@TempDir Path dir)
      throws Exception {
    AtomicInteger botCalls = new AtomicInteger();
    com.sun.net.httpserver.HttpServer bot = com.sun.net.httpserver.HttpServer.create(
        new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    bot.createContext("/", ex -> { // each reply: first 500, then 200 (the lane sends one at a time)
      ex.getRequestBody().readAllBytes();
      byte[] ok = "{\"ok\":true,\"result\":{\"message_id\":7}}".getBytes(StandardCharsets.UTF_8);
      if (botCalls.incrementAndGet() % 2 == 1) {
        ex.sendResponseHeaders(500, -1);
      } else {
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(200, ok.length);
        ex.getResponseBody().write(ok);
      }
      ex.close();
    });
    bot.start();
    CountDownLatch secondQueued = new CountDownLatch(1);
    AtomicReference<String> session = new AtomicReference<>();
    try {
      Path yaml = dir.resolve("baton.yaml");
      Files.writeString(yaml, """
          admin:
            token: %s
          tools:
            workspace_root: %s
          channels:
            api:
              enabled: false
            telegram:
              enabled: true
              bot_token: "123456:ABC-bot-token"
              secret_token: %s
              api_base_url: http://127.0.0.1:%d
            delivery:
              initial_backoff_ms: 10
          server:
            port: 0
          """.formatted(ADMIN, dir.resolve("ws"), SECRET, bot.getAddress().getPort()));
      BatonConfig cfg = ConfigLoader.withSystemEnvironment().load(yaml);
      Scheduler scheduler = Scheduler.system();
      SimpleMeterRegistry meters = new SimpleMeterRegistry();
      Store store = ServeCommand.openStore(cfg, scheduler);
      ReplyRouter router = ReplyRouter.create(cfg, store, scheduler, meters);
      TimelineObserver observer = router.consoleObserver().orElseThrow(); // as baton serve wires it
      try (BatonTools tools = BatonTools.builder().config(cfg).scheduler(scheduler).meterRegistry(meters)
              .builtIns(false).tool(new Hold()).tool(new Guarded()).observer(observer).build();
          Baton engine = Baton.builder().config(cfg).store(store).scheduler(scheduler).meterRegistry(meters)
              .replies(router).tools(tools).observer(observer).agent(turn -> {
                session.set(BatonContext.CURRENT.get().session().value());
                String id = turn.messages().getLast().id();
                if (turn.messages().getLast().text().contains("first")) { // the second waits in the queue
                  if (!secondQueued.await(20, TimeUnit.SECONDS)) throw new IllegalStateException("no second");
                }
                String args = "{\"m\":\"" + id + "\"}";
                turn.tools().callAll(List.of(ToolCall.of("hold", args), ToolCall.of("guarded", args)));
                turn.reply("done " + id);
              }).build()) {
        TOOLS.set(tools);
        Gateway gateway = Gateway.builder(cfg).engine(engine).store(store).scheduler(scheduler).meterRegistry(meters)
            .replies(router).adminView("wait-for-graph", tools::snapshot).build().start();
        try {
          String base = "http://127.0.0.1:" + gateway.port();
          HttpClient http = HttpClient.newHttpClient();
          assertThat(webhook(http, base, 1, "my first secret about whales")).isEqualTo(200);
          assertThat(webhook(http, base, 2, "my second secret about whales")).isEqualTo(200);
          secondQueued.countDown();
          long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
          while (botCalls.get() < 4 && System.nanoTime() < until) {
            Thread.sleep(5);
          }
          assertThat(botCalls.get()).as("two replies, each sent twice").isEqualTo(4);

          List<JsonNode> events = timeline(http, base, login(http, base), session.get());
          List<String> lines = new ArrayList<>();
          for (JsonNode e : events) lines.add(e.path("kind").asText() + " | " + e.path("detail").asText());
          assertThat(events).as("no message text: %s", lines).allSatisfy(e ->
              assertThat(e.toString()).doesNotContain("whales").doesNotContain("secret about"));
          // Each turn's chain in order. The chains of the two turns interleave (the first reply's deliveries go
          // on while the second turn runs), so each step is found by what it names: the message id, the turn's
          // number, the reply's outbox seq; the tool steps lie between their turn's start and end.
          for (String m : List.of("501", "502")) {
            int msg = find(lines, 0, "message | accepted " + m + " ");
            int started = find(lines, msg + 1, "turn_started | turn ", " of " + m + ",");
            String turnNo = lines.get(started).split(" ")[3];
            int ended = find(lines, started + 1, "turn_ended | turn " + turnNo + " ");
            int tool = find(lines, started + 1, "tool_started | ");
            int waited = find(lines, tool + 1, "lock_wait | ");
            int toolEnded = find(lines, waited + 1, "tool_ended | ");
            assertThat(toolEnded).as("the tool steps of message %s inside its turn:%n%s", m, String.join("\n", lines))
                .isLessThan(ended);
            int reply = find(lines, ended + 1, "reply | reply to " + m + " (reply ");
            String seq = lines.get(reply).replaceAll(".*\\(reply (\\d+)\\).*", "$1");
            int first = find(lines, reply + 1, "delivery | reply " + seq + " to telegram, attempt 1: retry (HTTP 500)");
            find(lines, first + 1, "delivery | reply " + seq + " to telegram, attempt 2: delivered");
          }
          assertThat(lines.stream().filter(l -> l.startsWith("turn_ended")))
              .as("two turns, each replied: %s", lines).hasSize(2)
              .allSatisfy(l -> assertThat(l).contains(" replied after "));
          assertThat(lines.stream().filter(l -> l.startsWith("delivery"))).as(String.join("\n", lines))
              .hasSize(4).satisfiesExactly(
                  l -> assertThat(l).contains("attempt 1: retry (HTTP 500)"),
                  l -> assertThat(l).contains("attempt 2: delivered"),
                  l -> assertThat(l).contains("attempt 1: retry (HTTP 500)"),
                  l -> assertThat(l).contains("attempt 2: delivered"));
          assertThat(lines.stream().filter(l -> l.startsWith("lock_wait"))).hasSize(2)
              .allSatisfy(l -> assertThat(l).contains("waits for room:k (exclusive) held by call#"));
          assertThat(lines.stream().filter(l -> l.startsWith("lock_granted"))).hasSize(2);
        } finally {
          gateway.stop(Duration.ofSeconds(5));
        }
      } finally {
        store.close();
      }
    } finally {
      bot.stop(0);
    }
  }

  /** The first line from {@code from} that starts with {@code prefix} and contains each of {@code also}. */
  static int find(List<String> lines, int from, String prefix, String... also) {
    for (int j = from; j < lines.size(); j++) {
      String l = lines.get(j);
      if (l.startsWith(prefix) && java.util.Arrays.stream(also).allMatch(l::contains)) return j;
    }
    throw new AssertionError("no '" + prefix + String.join("…", also) + "' after line " + from + " in:\n"
        + String.join("\n", lines));
  }

  static int webhook(HttpClient http, String base, int n, String text) throws Exception {
    String update = "{\"update_id\":" + (500 + n) + ",\"message\":{\"message_id\":" + (1000 + n) + ",\"from\":{\"id\":42,"
        + "\"is_bot\":false,\"first_name\":\"Ann\"},\"chat\":{\"id\":4242,\"type\":\"private\"},"
        + "\"date\":1767225600,\"text\":\"" + text + "\"}}";
    return http.send(HttpRequest.newBuilder(URI.create(base + "/webhooks/telegram"))
        .header("Content-Type", "application/json").header("X-Telegram-Bot-Api-Secret-Token", SECRET)
        .POST(HttpRequest.BodyPublishers.ofString(update)).timeout(Duration.ofSeconds(20)).build(),
        HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  static String login(HttpClient http, String base) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/console/login"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .POST(HttpRequest.BodyPublishers.ofString("token=" + URLEncoder.encode(ADMIN, StandardCharsets.UTF_8)))
        .build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(303);
    String set = r.headers().firstValue("Set-Cookie").orElseThrow();
    return set.substring(0, set.indexOf(';'));
  }

  /**
   * The events of the console stream's first timeline frame for {@code session} that has all four delivery
   * attempts (the last is recorded just after the stub answered; the frames come once a second).
   */
  static List<JsonNode> timeline(HttpClient http, String base, String cookie, String session) throws Exception {
    HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(URI.create(base + "/console/stream?session="
            + URLEncoder.encode(session, StandardCharsets.UTF_8))).header("Cookie", cookie)
        .header("Accept", "text/event-stream").timeout(Duration.ofSeconds(20)).build(),
        HttpResponse.BodyHandlers.ofInputStream());
    assertThat(r.statusCode()).isEqualTo(200);
    try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
      String event = "";
      for (String line; (line = in.readLine()) != null; ) {
        if (line.startsWith("event: ")) event = line.substring(7);
        if (line.startsWith("data: ") && event.equals("timeline")) {
          JsonNode t = M.readTree(line.substring(6));
          assertThat(t.path("session").asText()).isEqualTo(session);
          List<JsonNode> out = new ArrayList<>();
          t.path("events").forEach(out::add);
          if (out.stream().filter(e -> e.path("kind").asText().equals("delivery")).count() >= 4) return out;
        }
      }
    }
    throw new AssertionError("the stream ended without a timeline frame");
  }
}
