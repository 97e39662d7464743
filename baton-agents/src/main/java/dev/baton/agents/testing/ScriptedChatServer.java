package dev.baton.agents.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.baton.spi.BatonJson;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * A local stand-in for an OpenAI-compatible server: {@code POST /v1/chat/completions} on 127.0.0.1 answers
 * with scripted responses, in order, and records every request (headers and JSON body). For tests, examples
 * and benchmarks; it never talks to anything outside the loopback interface.
 *
 * <p><b>Concurrency.</b> Thread-safe: requests are served on virtual threads; {@link #enqueue} and
 * {@link #requests} may be called from any thread. The script is a FIFO queue: concurrent requests take
 * responses in the order they arrive. When the script is empty, the {@linkplain #fallback fallback} answers.
 */
public final class ScriptedChatServer implements AutoCloseable {

  private static final ObjectMapper JSON = BatonJson.MAPPER;

  /** One scripted answer. */
  public sealed interface Response {}

  /** A 200 chat-completion whose message has {@code content} and {@code toolCalls} (either may be empty). */
  public record Completion(String content, List<ToolCallSpec> toolCalls) implements Response {}

  /** Any status with a raw body (an error, or a malformed 200). */
  public record Raw(int status, String body) implements Response {}

  /** Waits until {@code release} opens (at most 60 s), then answers {@code then}. Counts {@code arrived} down first. */
  public record Held(CountDownLatch arrived, CountDownLatch release, Response then) implements Response {}

  /** A tool call in a scripted completion. */
  public record ToolCallSpec(String id, String name, String argumentsJson) {}

  /** One recorded request. */
  public record Recorded(Optional<String> authorization, JsonNode body) {
    /** The request's {@code messages} array. */
    public JsonNode messages() {
      return body.path("messages");
    }
  }

  public static Response answer(String text) {
    return new Completion(text, List.of());
  }

  public static Response toolCalls(ToolCallSpec... calls) {
    return new Completion("", List.of(calls));
  }

  public static ToolCallSpec call(String id, String name, String argumentsJson) {
    return new ToolCallSpec(id, name, argumentsJson);
  }

  public static Response status(int status, String body) {
    return new Raw(status, body);
  }

  private final HttpServer server;
  private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
  private final ConcurrentLinkedQueue<Response> script = new ConcurrentLinkedQueue<>();
  private final List<Recorded> requests = new CopyOnWriteArrayList<>();
  private final CountDownLatch firstAbortedWrite = new CountDownLatch(1);
  private volatile boolean recording = true;
  private volatile Function<JsonNode, Response> fallback =
      body -> new Raw(500, "{\"error\":{\"message\":\"script exhausted\"}}");

  private ScriptedChatServer(int port) throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 128);
    server.setExecutor(executor);
    server.createContext("/v1/chat/completions", this::handle);
    server.start();
  }

  /** Starts a server on an ephemeral loopback port. */
  public static ScriptedChatServer start() {
    try {
      return new ScriptedChatServer(0);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The base URL to configure as {@code agent.openai.base_url}: {@code http://127.0.0.1:PORT/v1}. */
  public String baseUrl() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/v1";
  }

  public ScriptedChatServer enqueue(Response... responses) {
    script.addAll(List.of(responses));
    return this;
  }

  /** What answers once the script is empty (default: a 500). */
  public ScriptedChatServer fallback(Function<JsonNode, Response> f) {
    this.fallback = f;
    return this;
  }

  /**
   * Waits (at most {@code timeout}) until writing a response failed because the client had closed the
   * connection: how a test sees that a cancelled call really stopped.
   */
  public boolean awaitAbortedWrite(java.time.Duration timeout) throws InterruptedException {
    return firstAbortedWrite.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Turns request recording off (for benchmarks, so memory stays flat). */
  public ScriptedChatServer recording(boolean on) {
    this.recording = on;
    return this;
  }

  /** The requests received so far, in arrival order. */
  public List<Recorded> requests() {
    return List.copyOf(requests);
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      byte[] in = exchange.getRequestBody().readAllBytes();
      JsonNode body;
      try {
        body = JSON.readTree(in);
      } catch (IOException e) {
        send(exchange, new Raw(400, "{\"error\":{\"message\":\"request is not JSON\"}}"), JSON.nullNode());
        return;
      }
      if (recording) {
        requests.add(new Recorded(
            Optional.ofNullable(exchange.getRequestHeaders().getFirst("Authorization")), body));
      }
      Response r = script.poll();
      send(exchange, r != null ? r : fallback.apply(body), body);
    }
  }

  private void send(HttpExchange exchange, Response r, JsonNode request) throws IOException {
    switch (r) {
      case Held h -> {
        h.arrived().countDown();
        try {
          if (!h.release().await(60, TimeUnit.SECONDS)) return;
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
        send(exchange, h.then(), request);
      }
      case Raw raw -> write(exchange, raw.status(), raw.body());
      case Completion c -> write(exchange, 200, completionJson(c, request.path("model").asText("model")));
    }
  }

  private void write(HttpExchange exchange, int status, String body) {
    try {
      writeOrFail(exchange, status, body);
    } catch (IOException e) {
      firstAbortedWrite.countDown(); // the client went away (e.g. it cancelled the call)
    }
  }

  private static void writeOrFail(HttpExchange exchange, int status, String body) throws IOException {
    byte[] out = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, out.length == 0 ? -1 : out.length);
    if (out.length > 0) exchange.getResponseBody().write(out);
  }

  /** The JSON of a chat-completion response carrying {@code c}. */
  public static String completionJson(Completion c, String model) {
    ObjectNode root = JSON.createObjectNode();
    root.put("id", "chatcmpl-scripted").put("object", "chat.completion").put("created", 1).put("model", model);
    ObjectNode choice = root.putArray("choices").addObject();
    choice.put("index", 0);
    ObjectNode message = choice.putObject("message");
    message.put("role", "assistant");
    if (c.toolCalls().isEmpty()) {
      message.put("content", c.content());
      choice.put("finish_reason", "stop");
    } else {
      if (c.content().isEmpty()) message.putNull("content");
      else message.put("content", c.content());
      ArrayNode calls = message.putArray("tool_calls");
      for (ToolCallSpec t : c.toolCalls()) {
        ObjectNode call = calls.addObject();
        call.put("id", t.id()).put("type", "function");
        call.putObject("function").put("name", t.name()).put("arguments", t.argumentsJson());
      }
      choice.put("finish_reason", "tool_calls");
    }
    root.putObject("usage").put("prompt_tokens", 1).put("completion_tokens", 1).put("total_tokens", 2);
    return root.toString();
  }

  /**
   * For trying {@code baton serve} with {@code agent.type: openai} by hand, without a model:
   * {@code java -cp baton-cli/target/baton.jar dev.baton.agents.testing.ScriptedChatServer [PORT]} serves, on
   * 127.0.0.1, a model that stores the user's text with {@code kv.upsert}, reads it back with {@code kv.get}
   * (two tool rounds) and answers with what it read. Stop it with Ctrl-C.
   */
  public static void main(String[] args) throws Exception {
    int port = args.length > 0 ? Integer.parseInt(args[0]) : 8099;
    ScriptedChatServer s = new ScriptedChatServer(port).recording(false).fallback(ScriptedChatServer::twoRounds);
    System.out.println("scripted chat-completions server on " + s.baseUrl() + " (Ctrl-C to stop)");
    new CountDownLatch(1).await();
  }

  private static Response twoRounds(JsonNode body) {
    JsonNode msgs = body.path("messages");
    String user = "";
    List<String> results = new ArrayList<>();
    for (JsonNode m : msgs) {
      if ("user".equals(m.path("role").asText())) {
        user = m.path("content").asText();
        results.clear();
      } else if ("tool".equals(m.path("role").asText())) {
        results.add(m.path("content").asText());
      }
    }
    if (results.isEmpty()) {
      ObjectNode args = JSON.createObjectNode().put("key", "note").put("value", user);
      return toolCalls(call("call_1", "kv_upsert", args.toString()));
    }
    if (results.size() == 1) return toolCalls(call("call_2", "kv_get", "{\"key\":\"note\"}"));
    return answer("After two tool rounds I read back: " + results.get(1));
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }

  /** The tool-call ids, names and arguments of the assistant messages of a recorded request, for assertions. */
  public static List<String> toolResultTexts(Recorded r) {
    List<String> out = new ArrayList<>();
    for (JsonNode m : r.messages()) {
      if ("tool".equals(m.path("role").asText())) out.add(m.path("content").asText());
    }
    return out;
  }
}
