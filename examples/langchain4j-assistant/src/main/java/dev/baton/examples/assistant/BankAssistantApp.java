package dev.baton.examples.assistant;

import dev.baton.Admission;
import dev.baton.Baton;
import dev.baton.InboundMessage;
import dev.baton.langchain4j.BatonToolDefinition;
import dev.baton.langchain4j.BatonTools;
import dev.baton.langchain4j.LangChain4jAgent;
import dev.baton.spi.ReplyHandler;
import dev.baton.tool.ToolCall;
import dev.baton.tool.ToolResult;
import dev.baton.tool.ToolRuntime;
import dev.baton.tool.ToolSpec;
import dev.baton.tool.Tools;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.openai.OpenAiChatModel;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * A bank assistant written with LangChain4j {@code AiServices}, run by Baton: every user gets a session with
 * its own durable chat memory, turns of one user are serial, and the {@code @Tool} methods run through the
 * tool runtime with the user's context.
 *
 * <pre>
 * # against Ollama on this machine (default), or any OpenAI-compatible server:
 * OPENAI_BASE_URL=http://localhost:11434/v1 OPENAI_MODEL=llama3.1 \
 *   mvn -q -pl examples/langchain4j-assistant -am exec:java  (or run BankAssistantApp from the IDE)
 * </pre>
 */
public final class BankAssistantApp implements AutoCloseable {

  private final Baton baton;

  public BankAssistantApp(ChatModel model, BankTools tools, ReplyHandler replies) {
    this.baton = Baton.builder().agent(agent(model, tools)).tools(toolRuntime(tools)).replies(replies).build();
  }

  /** The assistant as a Baton agent. */
  public static LangChain4jAgent<Assistant> agent(ChatModel model, BankTools tools) {
    return LangChain4jAgent.builder(Assistant.class)
        .chatModel(model)
        .tools(tools)
        .maxMessages(30)
        .configure(ai -> ai.systemMessageProvider(memoryId ->
            "You are a bank assistant. Use the tools for balances and transfers. Amounts are in cents."))
        .answer(Assistant::chat)
        .build();
  }

  /**
   * The tool runtime the engine binds per turn. It registers the {@code @Tool} methods by their
   * {@link BatonToolDefinition}s and dispatches calls by name. This example's runtime only dispatches; the
   * locks of {@code @BatonResource}, idempotency and timeouts are the job of {@code baton-tools}' runtime,
   * which takes the same definitions.
   */
  public static ToolRuntime toolRuntime(BankTools tools) {
    Map<String, BatonToolDefinition> byName = BatonTools.definitions(tools).stream()
        .collect(Collectors.toMap(d -> d.spec().name(), Function.identity()));
    List<ToolSpec> specs = byName.values().stream().map(BatonToolDefinition::spec).toList();
    return (context, state) -> new Tools() {
      @Override
      public List<ToolSpec> available() {
        return specs;
      }

      @Override
      public ToolResult call(ToolCall call) {
        BatonToolDefinition d = byName.get(call.tool());
        if (d == null) return new ToolResult.Failed("unknown_tool", "no tool named '" + call.tool() + "'");
        try {
          return new ToolResult.Ok(d.handler().invoke(call.argumentsJson()));
        } catch (Exception e) {
          return new ToolResult.Failed("tool_error", String.valueOf(e.getMessage()));
        }
      }

      @Override
      public List<ToolResult> callAll(List<ToolCall> calls) throws InterruptedException {
        List<CompletableFuture<ToolResult>> running = new ArrayList<>();
        for (ToolCall c : calls) {
          CompletableFuture<ToolResult> f = new CompletableFuture<>();
          Thread.ofVirtual().start(() -> f.complete(call(c)));
          running.add(f);
        }
        List<ToolResult> out = new ArrayList<>();
        for (CompletableFuture<ToolResult> f : running) {
          try {
            out.add(f.get());
          } catch (ExecutionException e) {
            out.add(new ToolResult.Failed("tool_error", String.valueOf(e.getCause())));
          }
        }
        return out;
      }
    };
  }

  /** Submits one message of {@code user}; the reply arrives at the {@link ReplyHandler}. */
  public Admission send(String user, String messageId, String text) {
    return baton.submit(InboundMessage.of("example", messageId, user, text, Instant.now()));
  }

  @Override
  public void close() {
    baton.close();
  }

  public static void main(String[] args) throws Exception {
    String baseUrl = System.getenv().getOrDefault("OPENAI_BASE_URL", "http://localhost:11434/v1");
    String modelName = System.getenv().getOrDefault("OPENAI_MODEL", "llama3.1");
    String apiKey = System.getenv().getOrDefault("OPENAI_API_KEY", "none");
    ChatModel model = OpenAiChatModel.builder().baseUrl(baseUrl).apiKey(apiKey).modelName(modelName)
        .timeout(Duration.ofMinutes(5)).build();
    ReplyHandler print = r -> System.out.println("assistant> " + r.text());
    System.out.println("Bank assistant on " + baseUrl + " (" + modelName + "). Type a message, empty line to quit.");
    try (BankAssistantApp app = new BankAssistantApp(model, new BankTools(), print);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
      int n = 0;
      for (String line; (line = in.readLine()) != null && !line.isBlank(); ) {
        app.send("you", "m-" + (++n), line);
      }
    }
  }
}
