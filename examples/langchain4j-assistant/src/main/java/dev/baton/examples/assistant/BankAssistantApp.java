package dev.baton.examples.assistant;

import dev.baton.Admission;
import dev.baton.Baton;
import dev.baton.InboundMessage;
import dev.baton.config.BatonConfig;
import dev.baton.config.StorageConfig;
import dev.baton.langchain4j.LangChain4jTools;
import dev.baton.langchain4j.LangChain4jAgent;
import dev.baton.spi.ReplyHandler;
import dev.baton.tools.BatonTools;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.openai.OpenAiChatModel;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;

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

  private final BatonTools toolRuntime;
  private final Baton baton;

  /** With an in-memory store: nothing survives the process. */
  public BankAssistantApp(ChatModel model, BankTools tools, ReplyHandler replies) {
    this(BatonConfig.defaults(), model, tools, replies);
  }

  /** With the store named by {@code config.storage} (e.g. SQLite: sessions and their memory survive restarts). */
  public BankAssistantApp(BatonConfig config, ChatModel model, BankTools tools, ReplyHandler replies) {
    this.toolRuntime = toolRuntime(tools);
    this.baton = Baton.builder().config(config).agent(agent(model, tools)).tools(toolRuntime).replies(replies)
        .build();
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
   * Baton's tool runtime with the {@code @Tool} methods registered: {@code @BatonResource} locks,
   * {@code @BatonTimeout}, idempotency and deadlock detection apply to every call the model makes.
   */
  public static BatonTools toolRuntime(BankTools tools) {
    BatonTools.Builder b = BatonTools.builder().builtIns(false);
    LangChain4jTools.tools(tools).forEach(b::tool);
    return b.build();
  }

  /** Submits one message of {@code user}; the reply arrives at the {@link ReplyHandler}. */
  public Admission send(String user, String messageId, String text) {
    return baton.submit(InboundMessage.of("example", messageId, user, text, Instant.now()));
  }

  @Override
  public void close() {
    baton.close();
    toolRuntime.close();
  }

  public static void main(String[] args) throws Exception {
    String baseUrl = System.getenv().getOrDefault("OPENAI_BASE_URL", "http://localhost:11434/v1");
    String modelName = System.getenv().getOrDefault("OPENAI_MODEL", "llama3.1");
    String apiKey = System.getenv().getOrDefault("OPENAI_API_KEY", "none");
    ChatModel model = OpenAiChatModel.builder().baseUrl(baseUrl).apiKey(apiKey).modelName(modelName)
        .timeout(Duration.ofMinutes(5)).build();
    ReplyHandler print = r -> System.out.println("assistant> " + r.text());
    System.out.println("Bank assistant on " + baseUrl + " (" + modelName + "). Type a message, empty line to quit.");
    BatonConfig config = BatonConfig.defaults().withStorage(StorageConfig.sqlite("baton-data/assistant.db"));
    try (BankAssistantApp app = new BankAssistantApp(config, model, new BankTools(), print);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
      int n = 0;
      for (String line; (line = in.readLine()) != null && !line.isBlank(); ) {
        n++;
        app.send("you", "m-" + n, line);
      }
    }
  }
}
