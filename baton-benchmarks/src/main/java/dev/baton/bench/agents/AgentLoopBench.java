package dev.baton.bench.agents;

import org.jspecify.annotations.Nullable;
import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.SessionKey;
import dev.baton.SessionState;
import dev.baton.Transcript;
import dev.baton.Turn;
import dev.baton.TurnContext;
import dev.baton.agents.OpenAiAgent;
import dev.baton.agents.testing.ScriptedChatServer;
import dev.baton.config.OpenAiConfig;
import dev.baton.spi.Scheduler;
import dev.baton.spi.tool.Tools;
import dev.baton.tools.BatonTools;
import dev.baton.tools.Tool;
import dev.baton.tools.ToolContext;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What the openai agent loop adds per round beyond the provider's own time. The provider is the local
 * {@link ScriptedChatServer} with zero think time: it asks for one tool call until the request holds
 * {@link #TOOL_ROUNDS} tool results, then answers. {@code agentTurn} runs a whole turn ({@code TOOL_ROUNDS}
 * tool rounds + the answer = {@code TOOL_ROUNDS + 1} HTTP round trips, each tool call through Baton's real
 * tool runtime ({@code BatonTools}: holder thread, wait-for graph, idempotency record)); {@code rawHttpRound} posts the payload of the agent's last round
 * with the JDK HttpClient and reads the response, nothing else. Overhead per round =
 * agentTurn / (TOOL_ROUNDS + 1) - rawHttpRound; the marginal cost of one tool round (HTTP round trip, tool
 * call, transcript) = (agentTurn - agentAnswerOnly) / TOOL_ROUNDS, to compare with rawHttpRound. See
 * docs/bench/agents.md.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 6, time = 4)
@Measurement(iterations = 5, time = 4)
@Fork(value = 1, jvmArgs = {"-Xms512m", "-Xmx512m"})
public class AgentLoopBench {

  static final int TOOL_ROUNDS = 2;
  static final Instant FAR = Instant.parse("2100-01-01T00:00:00Z");

  ScriptedChatServer server;
  BatonTools runtime;
  OpenAiAgent agent;
  HttpClient http;
  HttpRequest raw;
  long turns;

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    server = ScriptedChatServer.start().recording(false).fallback(AgentLoopBench::script);
    runtime = BatonTools.builder().builtIns(false).tool(new Lookup()).build();
    agent = OpenAiAgent.create(OpenAiConfig.defaults().withBaseUrl(server.baseUrl()).withModel("bench")
        .withApiKey("sk-bench"), Scheduler.system());
    // Record one turn's requests to get the exact payload of the last round.
    server.recording(true);
    agent.onTurn(new BenchTurn(runtime, 0, "look it up"));
    List<ScriptedChatServer.Recorded> reqs = server.requests();
    if (reqs.size() != TOOL_ROUNDS + 1) throw new IllegalStateException("expected " + (TOOL_ROUNDS + 1) + " requests");
    server.recording(false);
    String payload = reqs.getLast().body().toString();
    http = HttpClient.newHttpClient();
    raw = HttpRequest.newBuilder(URI.create(server.baseUrl() + "/chat/completions"))
        .header("Content-Type", "application/json").header("Authorization", "Bearer sk-bench")
        .POST(HttpRequest.BodyPublishers.ofString(payload)).build();
  }

  static ScriptedChatServer.Response script(JsonNode body) {
    JsonNode msgs = body.path("messages");
    if ("answer now".equals(msgs.get(msgs.size() - 1).path("content").asText())) {
      return ScriptedChatServer.answer("done at once");
    }
    int results = 0;
    for (JsonNode m : body.path("messages")) if ("tool".equals(m.path("role").asText())) results++;
    return results < TOOL_ROUNDS
        ? ScriptedChatServer.toolCalls(ScriptedChatServer.call("c" + results, "lookup", "{\"q\":\"x" + results + "\"}"))
        : ScriptedChatServer.answer("done after " + results + " tool calls");
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    server.close();
    runtime.close();
    http.close();
  }

  @Benchmark
  public Object agentTurn() throws Exception {
    BenchTurn t = new BenchTurn(runtime, ++turns, "look it up");
    agent.onTurn(t);
    if (t.reply == null || !t.reply.startsWith("done")) throw new IllegalStateException("bad reply " + t.reply);
    return t.reply;
  }

  /** One HTTP round, no tools: the fixed cost of a turn (history, request building, response parsing). */
  @Benchmark
  public Object agentAnswerOnly() throws Exception {
    BenchTurn t = new BenchTurn(runtime, ++turns, "answer now");
    agent.onTurn(t);
    if (t.reply == null || !t.reply.startsWith("done")) throw new IllegalStateException("bad reply " + t.reply);
    return t.reply;
  }

  @Benchmark
  public Object rawHttpRound() throws Exception {
    HttpResponse<byte[]> r = http.send(raw, HttpResponse.BodyHandlers.ofByteArray());
    if (r.statusCode() != 200) throw new IllegalStateException("HTTP " + r.statusCode());
    return r.body();
  }

  /** A fresh session's turn: empty transcript and state, one tool, replies kept. */
  static final class BenchTurn implements Turn {
    final List<Transcript.Entry> entries = new ArrayList<>();
    final Map<String, String> state = new HashMap<>();
    final TurnContext context;
    final List<Message> messages;
    final Tools tools;
    volatile @Nullable String reply;

    BenchTurn(BatonTools runtime, long n, String text) {
      messages = List.of(new Message("m-" + n, "bench", text, FAR));
      context = new TurnContext(SessionKey.user("bench", Long.toString(n)), "bench", List.of("m-" + n), "t", n, FAR);
      tools = runtime.bind(context, state());
    }

    @Override public List<Message> messages() { return messages; }
    @Override public TurnContext context() { return context; }
    @Override public Tools tools() { return tools; }
    @Override public void reply(String text) { reply = text; }
    @Override public void reply(String text, long turnNumber) { reply = text; }

    @Override
    public Transcript transcript() {
      return new Transcript() {
        @Override public List<Entry> entries() { return List.copyOf(entries); }
        @Override public void append(Role role, String text) { entries.add(new Entry(role, text, FAR)); }
      };
    }

    @Override
    public SessionState state() {
      return new SessionState() {
        @Override public Optional<String> get(String key) { return Optional.ofNullable(state.get(key)); }
        @Override public void put(String key, String value) { state.put(key, value); }
        @Override public void remove(String key) { state.remove(key); }
        @Override public boolean compareAndSet(String k, Optional<String> e, String v) { return false; }
        @Override public Set<String> keys() { return state.keySet(); }
      };
    }
  }

  /** The one tool the model calls: no resources, no work; what is measured is the path through the runtime. */
  static final class Lookup implements Tool {
    @Override public String name() { return "lookup"; }
    @Override public String description() { return "Looks a thing up"; }
    @Override public String inputSchema() {
      return "{\"type\":\"object\",\"properties\":{\"q\":{\"type\":\"string\"}},\"required\":[\"q\"]}";
    }
    @Override public JsonNode execute(JsonNode args, ToolContext ctx) {
      return ctx.json().objectNode().put("found", true);
    }
  }
}
