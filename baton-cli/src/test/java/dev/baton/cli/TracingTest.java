package dev.baton.cli;

import static dev.baton.agents.testing.ScriptedChatServer.answer;
import static dev.baton.agents.testing.ScriptedChatServer.call;
import static dev.baton.agents.testing.ScriptedChatServer.toolCalls;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.Baton;
import dev.baton.BatonContext;
import dev.baton.agents.testing.ScriptedChatServer;
import dev.baton.config.BatonConfig;
import dev.baton.config.ConfigLoader;
import dev.baton.gateway.Gateway;
import dev.baton.gateway.ReplyRouter;
import dev.baton.spi.Scheduler;
import dev.baton.spi.Store;
import dev.baton.tools.Access;
import dev.baton.tools.BatonTools;
import dev.baton.tools.Resource;
import dev.baton.tools.Tool;
import dev.baton.tools.ToolContext;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole message path traced into the SDK's in-memory exporter: a POST /v1/messages with a W3C traceparent,
 * the openai agent against a local chat-completions stub over real HTTP, two tool calls of one model response run
 * in parallel (each waits until the other started), the reply delivered to the API inbox. Every span is in the
 * header's trace and hangs where docs/tracing.md says; the provider got the model call's traceparent; the turn's
 * trace id (the MDC's baton.trace) is the span's; no attribute holds the message text or the raw user id.
 */
class TracingTest {

  static final String SECRET = "0123456789abcdef0123456789abcdef";
  static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
  static final String PARENT = "00f067aa0ba902b7";
  static final String TEXT = "my secret text about blue whales";

  /** Two calls of it meet: each returns only once both have started (so they ran in parallel). */
  static final class Meet implements Tool {
    final CountDownLatch both = new CountDownLatch(2);
    final Queue<String> turnTraceIds = new ConcurrentLinkedQueue<>();
    final Queue<String> spanTraceIds = new ConcurrentLinkedQueue<>();

    @Override
    public String name() {
      return "meet";
    }

    @Override
    public String description() {
      return "waits for its twin";
    }

    @Override
    public String inputSchema() {
      return "{\"type\":\"object\",\"properties\":{\"k\":{\"type\":\"string\"}}}";
    }

    @Override
    public List<Resource> resources(JsonNode args, ToolContext ctx) {
      return List.of(Resource.of("room", args.path("k").asText(), Access.EXCLUSIVE));
    }

    @Override
    public JsonNode execute(JsonNode args, ToolContext ctx) throws InterruptedException {
      turnTraceIds.add(BatonContext.CURRENT.get().traceId());
      spanTraceIds.add(Span.current().getSpanContext().getTraceId());
      both.countDown();
      if (!both.await(20, TimeUnit.SECONDS)) throw new IllegalStateException("the twin never came: not parallel");
      return ctx.json().textNode("met");
    }
  }

  @Test
  void oneMessageIsOneTraceFromIngressThroughModelAndParallelToolCallsToDelivery(@TempDir Path dir)
      throws Exception {
    InMemorySpanExporter spans = InMemorySpanExporter.create();
    OpenTelemetrySdk otel = OpenTelemetrySdk.builder()
        .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(spans)).build())
        .build();
    Meet meet = new Meet();
    try (ScriptedChatServer model = ScriptedChatServer.start()) {
      model.enqueue(toolCalls(call("c1", "meet", "{\"k\":\"a\"}"), call("c2", "meet", "{\"k\":\"b\"}")),
          answer("They met."));
      Path yaml = dir.resolve("baton.yaml");
      Files.writeString(yaml, """
          agent:
            type: openai
            openai:
              base_url: %s
              model: test-model
              api_key: sk-not-secret
          tools:
            workspace_root: %s
          channels:
            api:
              jwt:
                hs256_secret: %s
          server:
            port: 0
          """.formatted(model.baseUrl(), dir.resolve("ws"), SECRET));
      BatonConfig cfg = ConfigLoader.withSystemEnvironment().load(yaml);
      Scheduler scheduler = Scheduler.system();
      SimpleMeterRegistry meters = new SimpleMeterRegistry();
      Store store = ServeCommand.openStore(cfg, scheduler);
      ReplyRouter router = ReplyRouter.create(cfg, store, scheduler, meters);
      try (BatonTools tools = BatonTools.builder().config(cfg).scheduler(scheduler).meterRegistry(meters)
              .builtIns(false).tool(meet).build();
          Baton engine = Baton.builder().config(cfg).store(store).scheduler(scheduler).meterRegistry(meters)
              .replies(router).tools(tools).openTelemetry(otel).build()) {
        Gateway gateway = Gateway.builder(cfg).engine(engine).store(store).scheduler(scheduler).meterRegistry(meters)
            .replies(router).openTelemetry(otel).build().start();
        try {
          String base = "http://127.0.0.1:" + gateway.port();
          String jwt = ServeCommand.devToken(SECRET, "alice", scheduler);
          HttpClient http = HttpClient.newHttpClient();
          HttpResponse<String> posted = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/messages"))
              .header("Authorization", "Bearer " + jwt).header("Content-Type", "application/json")
              .header("traceparent", "00-" + TRACE + "-" + PARENT + "-01").header("tracestate", "k=v")
              .POST(HttpRequest.BodyPublishers.ofString("{\"id\":\"m-1\",\"text\":\"" + TEXT + "\"}"))
              .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
          assertThat(posted.statusCode()).isEqualTo(202);
          HttpResponse<String> replies = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/replies?wait_ms=20000"))
              .header("Authorization", "Bearer " + jwt).timeout(Duration.ofSeconds(30)).build(),
              HttpResponse.BodyHandlers.ofString());
          assertThat(replies.body()).contains("They met.");
        } finally {
          gateway.stop(Duration.ofSeconds(5));
        }
      } finally {
        store.close();
      }
      // Every span is exported when it ends; the turn's span ends after its reply was handed over.
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (spans.getFinishedSpanItems().stream().noneMatch(s -> s.getName().equals("baton.turn"))
          && System.nanoTime() < until) {
        Thread.onSpinWait();
      }
      List<SpanData> all = spans.getFinishedSpanItems();

      assertThat(all).extracting(SpanData::getTraceId).containsOnly(TRACE);
      SpanData ingress = one(all, "POST /v1/messages");
      assertThat(ingress.getParentSpanId()).isEqualTo(PARENT);
      assertThat(ingress.getSpanContext().getTraceState().get("k")).isEqualTo("v");
      assertThat(ingress.getAttributes().get(AttributeKey.longKey("http.response.status_code"))).isEqualTo(202L);
      assertThat(ingress.getAttributes().get(AttributeKey.stringKey("baton.admission"))).isEqualTo("accepted");
      SpanData insert = one(all, "baton.journal.insert");
      assertThat(insert.getParentSpanId()).isEqualTo(ingress.getSpanId());
      SpanData wait = one(all, "baton.queue.wait");
      assertThat(wait.getParentSpanId()).isEqualTo(ingress.getSpanId());
      SpanData turn = one(all, "baton.turn");
      assertThat(turn.getParentSpanId()).isEqualTo(ingress.getSpanId());
      assertThat(turn.getAttributes().get(AttributeKey.stringKey("baton.queue_mode"))).isEqualTo("followup");
      assertThat(turn.getAttributes().get(AttributeKey.stringKey("baton.outcome"))).isEqualTo("completed");
      List<SpanData> chats = all.stream().filter(named("chat")).toList();
      assertThat(chats).hasSize(2).allSatisfy(c -> assertThat(c.getParentSpanId()).isEqualTo(turn.getSpanId()));
      List<SpanData> calls = all.stream().filter(named("baton.tool.call")).toList();
      assertThat(calls).hasSize(2).allSatisfy(c -> {
        assertThat(c.getParentSpanId()).isEqualTo(turn.getSpanId());
        assertThat(c.getAttributes().get(AttributeKey.stringKey("baton.outcome"))).isEqualTo("ok");
      });
      // parallel: the two calls overlap in time
      assertThat(Math.max(calls.get(0).getStartEpochNanos(), calls.get(1).getStartEpochNanos()))
          .isLessThan(Math.min(calls.get(0).getEndEpochNanos(), calls.get(1).getEndEpochNanos()));
      List<SpanData> waits = all.stream().filter(named("baton.tool.lock_wait")).toList();
      assertThat(waits).hasSize(2).extracting(SpanData::getParentSpanId)
          .containsExactlyInAnyOrderElementsOf(calls.stream().map(SpanData::getSpanId).toList());
      SpanData delivery = one(all, "baton.delivery");
      assertThat(delivery.getParentSpanId()).isEqualTo(turn.getSpanId());
      assertThat(delivery.getAttributes().get(AttributeKey.stringKey("baton.channel"))).isEqualTo("api");

      // The tool threads saw the turn's trace id (the MDC's baton.trace) and the span's, both the header's.
      assertThat(meet.turnTraceIds).containsOnly(TRACE);
      assertThat(meet.spanTraceIds).containsOnly(TRACE);
      // The provider got each model call's traceparent: the header's trace, the chat span as parent.
      assertThat(model.requests()).hasSize(2);
      assertThat(model.requests()).extracting(r -> r.traceparent().orElse(""))
          .containsExactlyInAnyOrderElementsOf(chats.stream()
              .map(c -> "00-" + TRACE + "-" + c.getSpanId() + "-01").toList());
      // No message text, no raw user id anywhere; the hashed one is there.
      for (SpanData s : all) {
        for (Map.Entry<AttributeKey<?>, Object> a : s.getAttributes().asMap().entrySet()) {
          assertThat(String.valueOf(a.getValue())).doesNotContain("whales").isNotEqualTo("alice")
              .doesNotContain("api:alice");
        }
      }
      assertThat(turn.getAttributes().get(AttributeKey.stringKey("baton.user.hash")))
          .isEqualTo(dev.baton.spi.Tracing.hashUser("alice")).hasSize(16);
    } finally {
      otel.close();
    }
  }

  /**
   * A Telegram webhook with a malformed traceparent is taken (the header is ignored: the ingress span is a new
   * root) and its reply's two delivery attempts (the Bot API answers 500, then 200) are two spans below the turn.
   */
  @Test
  void aWebhookWithAMalformedTraceparentIsANewTraceAndEachDeliveryAttemptIsASpan(@TempDir Path dir) throws Exception {
    InMemorySpanExporter spans = InMemorySpanExporter.create();
    OpenTelemetrySdk otel = OpenTelemetrySdk.builder()
        .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(spans)).build())
        .build();
    java.util.concurrent.atomic.AtomicInteger botCalls = new java.util.concurrent.atomic.AtomicInteger();
    com.sun.net.httpserver.HttpServer bot = com.sun.net.httpserver.HttpServer.create(
        new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 0);
    bot.createContext("/", ex -> {
      ex.getRequestBody().readAllBytes();
      byte[] ok = "{\"ok\":true,\"result\":{\"message_id\":7}}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
      if (botCalls.incrementAndGet() == 1) {
        ex.sendResponseHeaders(500, -1);
      } else {
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(200, ok.length);
        ex.getResponseBody().write(ok);
      }
      ex.close();
    });
    bot.start();
    List<SpanData> all;
    String secret = "tg-secret-token_0123456789abcdefghij";
    try {
      Path yaml = dir.resolve("baton.yaml");
      Files.writeString(yaml, """
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
          """.formatted(secret, bot.getAddress().getPort()));
      BatonConfig cfg = ConfigLoader.withSystemEnvironment().load(yaml);
      Scheduler scheduler = Scheduler.system();
      SimpleMeterRegistry meters = new SimpleMeterRegistry();
      Store store = ServeCommand.openStore(cfg, scheduler);
      ReplyRouter router = ReplyRouter.create(cfg, store, scheduler, meters);
      try (Baton engine = Baton.builder().config(cfg).store(store).scheduler(scheduler).meterRegistry(meters)
          .replies(router).openTelemetry(otel).build()) {
        Gateway gateway = Gateway.builder(cfg).engine(engine).store(store).scheduler(scheduler).meterRegistry(meters)
            .replies(router).openTelemetry(otel).build().start();
        try {
          String update = "{\"update_id\":500,\"message\":{\"message_id\":1500,\"from\":{\"id\":42,"
              + "\"is_bot\":false,\"first_name\":\"Ann\"},\"chat\":{\"id\":4242,\"type\":\"private\"},"
              + "\"date\":1767225600,\"text\":\"" + TEXT + "\"}}";
          HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                  URI.create("http://127.0.0.1:" + gateway.port() + "/webhooks/telegram"))
              .header("Content-Type", "application/json").header("X-Telegram-Bot-Api-Secret-Token", secret)
              .header("traceparent", "00-not-a-trace-id-01")
              .POST(HttpRequest.BodyPublishers.ofString(update)).timeout(Duration.ofSeconds(20)).build(),
              HttpResponse.BodyHandlers.ofString());
          assertThat(r.statusCode()).isEqualTo(200);
          long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
          while (spans.getFinishedSpanItems().stream().filter(named("baton.delivery")).count() < 2
              && System.nanoTime() < until) {
            Thread.onSpinWait();
          }
        } finally {
          gateway.stop(Duration.ofSeconds(5));
        }
      } finally {
        store.close();
      }
      all = spans.getFinishedSpanItems(); // before the SDK's close, which empties the in-memory exporter
    } finally {
      bot.stop(0);
      otel.close();
    }
    SpanData ingress = one(all, "POST /webhooks/telegram");
    assertThat(ingress.getParentSpanContext().isValid()).isFalse();
    assertThat(ingress.getAttributes().get(AttributeKey.stringKey("baton.channel"))).isEqualTo("telegram");
    assertThat(all).extracting(SpanData::getTraceId).containsOnly(ingress.getTraceId());
    SpanData turn = one(all, "baton.turn");
    assertThat(turn.getParentSpanId()).isEqualTo(ingress.getSpanId());
    List<SpanData> attempts = all.stream().filter(named("baton.delivery")).toList();
    assertThat(attempts).hasSize(2).allSatisfy(a -> assertThat(a.getParentSpanId()).isEqualTo(turn.getSpanId()));
    assertThat(attempts).extracting(a -> a.getAttributes().get(AttributeKey.stringKey("baton.outcome")))
        .containsExactly("retry", "delivered");
    assertThat(attempts).extracting(a -> a.getAttributes().get(AttributeKey.longKey("baton.delivery.attempt")))
        .containsExactly(1L, 2L);
    for (SpanData d : all) {
      assertThat(d.getAttributes().asMap().values()).allSatisfy(v ->
          assertThat(String.valueOf(v)).doesNotContain("whales").isNotEqualTo("42"));
    }
  }

  static Predicate<SpanData> named(String name) {
    return s -> s.getName().equals(name);
  }

  static SpanData one(List<SpanData> all, String name) {
    List<SpanData> found = all.stream().filter(named(name)).toList();
    assertThat(found).as(name + " in " + all.stream().map(SpanData::getName).toList()).hasSize(1);
    return found.getFirst();
  }
}
