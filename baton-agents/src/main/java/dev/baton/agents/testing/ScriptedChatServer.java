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
import java.time.Instant;
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
import java.util.function.Supplier;

/**
 * A local stand-in for an OpenAI-compatible server: {@code POST /v1/chat/completions} on 127.0.0.1 answers
 * with scripted responses, in order, and records every request (headers and JSON body). For tests, examples
 * and benchmarks; it never talks to anything outside the loopback interface.
 *
 * <p><b>Streaming.</b> A request with {@code "stream": true} gets its completion as chat-completion chunks over SSE:
 * a keep-alive comment, the content in {@link #CHUNKS} pieces, each tool call's id and name first and its
 * arguments in two fragments, a chunk with the finish reason, a usage chunk with no choices, then
 * {@code data: [DONE]}. {@link Streamed} scripts the exact deltas, a pause between them, or a cut connection.
 *
 * <p><b>Rate limit</b> ({@link #rateLimit}): a provider stub that allows at most {@code requestsPerMinute}
 * requests in any 60 s of a clock the test gives (the manual scheduler's, so tests stay exact) and answers any
 * request beyond that {@code 429} with {@code Retry-After} (whole seconds until the oldest request of the window
 * is 60 s old) and OpenAI's error body, before the script is consulted. {@link #arrivals} records every request's
 * arrival time and status.
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

  /**
   * A streamed answer with exactly these content {@code deltas} (then {@code toolCalls}), {@code pauseMillis}
   * apart (the server's own pace, as a slow model's); {@code cutAfter} >= 0 closes the connection after that many
   * deltas without finishing (a provider failing mid-stream). Answered as one completion when not streamed.
   */
  public record Streamed(List<String> deltas, List<ToolCallSpec> toolCalls, long pauseMillis, int cutAfter)
      implements Response {
    public Streamed {
      deltas = List.copyOf(deltas);
      toolCalls = List.copyOf(toolCalls);
    }
  }

  /** Content pieces a streamed {@link Completion} is split into (fewer when the text is shorter). */
  public static final int CHUNKS = 3;

  /** Token counts every scripted response reports as usage. */
  public static final int PROMPT_TOKENS = 11, COMPLETION_TOKENS = 7;

  /** A streamed answer of these deltas, at once. */
  public static Response streamed(String... deltas) {
    return new Streamed(List.of(deltas), List.of(), 0, -1);
  }

  /** A tool call in a scripted completion. */
  public record ToolCallSpec(String id, String name, String argumentsJson) {}

  /** One request as the rate limit saw it: when it arrived and what it was answered (200 or 429). */
  public record Arrival(Instant at, int status) {}

  /** One recorded request. */
  public record Recorded(Optional<String> authorization, JsonNode body, Optional<String> traceparent) {
    public Recorded(Optional<String> authorization, JsonNode body) {
      this(authorization, body, Optional.empty());
    }

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
  private final Object limitLock = new Object();
  private final java.util.ArrayDeque<Instant> admitted = new java.util.ArrayDeque<>(); // guarded by limitLock
  private final List<Arrival> arrivals = new CopyOnWriteArrayList<>();
  private volatile int requestsPerMinute;
  private volatile Supplier<Instant> clock = Instant::now;
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

  /**
   * Enforces {@code requestsPerMinute} (in any 60 s of {@code clock}) from now on: beyond it a request gets
   * {@code 429} with {@code Retry-After}. 0 turns the limit off.
   */
  public ScriptedChatServer rateLimit(int requestsPerMinute, Supplier<Instant> clock) {
    this.clock = clock;
    this.requestsPerMinute = requestsPerMinute;
    return this;
  }

  /** Every request's arrival (under {@link #rateLimit}'s clock) and status, in arrival order. */
  public List<Arrival> arrivals() {
    return List.copyOf(arrivals);
  }

  /** The 429 of the rate limit, or empty if the request may go on. */
  private Optional<Raw> limited() {
    int limit = requestsPerMinute;
    Instant now = clock.get();
    if (limit <= 0) {
      arrivals.add(new Arrival(now, 200));
      return Optional.empty();
    }
    long retryAfter;
    synchronized (limitLock) {
      while (!admitted.isEmpty() && !admitted.peekFirst().isAfter(now.minusSeconds(60))) admitted.pollFirst();
      if (admitted.size() < limit) {
        admitted.addLast(now);
        arrivals.add(new Arrival(now, 200));
        return Optional.empty();
      }
      long ms = java.time.Duration.between(now, admitted.peekFirst().plusSeconds(60)).toMillis();
      retryAfter = Math.max(1, (ms + 999) / 1000);
      arrivals.add(new Arrival(now, 429));
    }
    return Optional.of(new Raw(429, "{\"error\":{\"message\":\"Rate limit reached for requests: limit " + limit
        + " per minute. Please try again in " + retryAfter + "s.\",\"type\":\"requests\",\"code\":"
        + "\"rate_limit_exceeded\"},\"retry_after\":" + retryAfter + "}"));
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
            Optional.ofNullable(exchange.getRequestHeaders().getFirst("Authorization")), body,
            Optional.ofNullable(exchange.getRequestHeaders().getFirst("traceparent"))));
      }
      Optional<Raw> refused = limited();
      if (refused.isPresent()) {
        exchange.getResponseHeaders().set("Retry-After",
            JSON.readTree(refused.get().body()).path("retry_after").asText());
        write(exchange, 429, refused.get().body());
        return;
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
      case Completion c when request.path("stream").asBoolean() ->
          stream(exchange, new Streamed(split(c.content()), c.toolCalls(), 0, -1), request);
      case Completion c -> write(exchange, 200, completionJson(c, request.path("model").asText("model")));
      case Streamed st when request.path("stream").asBoolean() -> stream(exchange, st, request);
      case Streamed st -> write(exchange, 200,
          completionJson(new Completion(String.join("", st.deltas()), st.toolCalls()), request.path("model").asText("model")));
    }
  }

  private static List<String> split(String text) {
    List<String> out = new ArrayList<>();
    int n = Math.min(CHUNKS, Math.max(1, text.length()));
    int step = (text.length() + n - 1) / n;
    for (int i = 0; i < text.length(); i += Math.max(1, step)) out.add(text.substring(i, Math.min(text.length(), i + step)));
    return out;
  }

  private void stream(HttpExchange exchange, Streamed st, JsonNode request) {
    String model = request.path("model").asText("model");
    try {
      exchange.getResponseHeaders().set("Content-Type", "text/event-stream");
      exchange.sendResponseHeaders(200, 0);
      var out = exchange.getResponseBody();
      out.write(": keep-alive\n\n".getBytes(StandardCharsets.UTF_8));
      out.flush();
      int i = 0;
      for (String d : st.deltas()) {
        if (st.cutAfter() >= 0 && i == st.cutAfter()) {
          throw new IllegalStateException("scripted cut"); // HttpServer drops the connection mid-body
        }
        if (i > 0 && st.pauseMillis() > 0) Thread.sleep(st.pauseMillis());
        ObjectNode delta = JSON.createObjectNode();
        if (i == 0) delta.put("role", "assistant");
        delta.put("content", d);
        chunk(out, model, delta, null);
        i++;
      }
      int index = 0;
      for (ToolCallSpec t : st.toolCalls()) {
        ObjectNode first = JSON.createObjectNode();
        ObjectNode call = first.putArray("tool_calls").addObject().put("index", index).put("id", t.id())
            .put("type", "function");
        call.putObject("function").put("name", t.name()).put("arguments", "");
        chunk(out, model, first, null);
        String args = t.argumentsJson();
        int half = args.length() / 2;
        for (String part : List.of(args.substring(0, half), args.substring(half))) {
          ObjectNode more = JSON.createObjectNode();
          more.putArray("tool_calls").addObject().put("index", index).putObject("function").put("arguments", part);
          chunk(out, model, more, null);
        }
        index++;
      }
      chunk(out, model, JSON.createObjectNode(), st.toolCalls().isEmpty() ? "stop" : "tool_calls");
      ObjectNode usage = JSON.createObjectNode().put("id", "chatcmpl-scripted").put("object", "chat.completion.chunk")
          .put("created", 1).put("model", model);
      usage.putArray("choices");
      usage.putObject("usage").put("prompt_tokens", PROMPT_TOKENS).put("completion_tokens", COMPLETION_TOKENS)
          .put("total_tokens", PROMPT_TOKENS + COMPLETION_TOKENS);
      out.write(("data: " + usage + "\n\n").getBytes(StandardCharsets.UTF_8));
      out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
      out.flush();
    } catch (IOException e) {
      firstAbortedWrite.countDown(); // the client went away (it cancelled the stream)
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void chunk(java.io.OutputStream out, String model, ObjectNode delta, @org.jspecify.annotations.Nullable String finish)
      throws IOException {
    ObjectNode root = JSON.createObjectNode();
    root.put("id", "chatcmpl-scripted").put("object", "chat.completion.chunk").put("created", 1).put("model", model);
    ObjectNode choice = root.putArray("choices").addObject();
    choice.put("index", 0);
    choice.set("delta", delta);
    if (finish == null) choice.putNull("finish_reason");
    else choice.put("finish_reason", finish);
    out.write(("data: " + root + "\n\n").getBytes(StandardCharsets.UTF_8));
    out.flush();
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
    root.putObject("usage").put("prompt_tokens", PROMPT_TOKENS).put("completion_tokens", COMPLETION_TOKENS)
        .put("total_tokens", PROMPT_TOKENS + COMPLETION_TOKENS);
    return root.toString();
  }

  /**
   * For trying {@code baton serve} with {@code agent.type: openai} by hand, without a model:
   * {@code java -cp baton-cli/target/baton.jar dev.baton.agents.testing.ScriptedChatServer [PORT]} serves, on
   * 127.0.0.1, a model that stores the user's text with {@code kv.upsert}, reads it back with {@code kv.get}
   * (two tool rounds) and answers with what it read. A second argument, {@code RPM}, makes it a rate-limited
   * provider: beyond RPM requests in any 60 s it answers 429 with Retry-After (try it against
   * {@code agent.rate_limits.provider.requests_per_minute} below, equal to, or above it). Stop it with Ctrl-C.
   */
  public static void main(String[] args) throws Exception {
    int port = args.length > 0 ? Integer.parseInt(args[0]) : 8099;
    int rpm = args.length > 1 ? Integer.parseInt(args[1]) : 0;
    ScriptedChatServer s = new ScriptedChatServer(port).recording(false).fallback(ScriptedChatServer::twoRounds)
        .rateLimit(rpm, Instant::now);
    System.out.println("scripted chat-completions server on " + s.baseUrl()
        + (rpm > 0 ? ", at most " + rpm + " requests per minute (then 429 + Retry-After)" : "") + " (Ctrl-C to stop)");
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
