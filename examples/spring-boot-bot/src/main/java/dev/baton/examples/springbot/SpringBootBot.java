package dev.baton.examples.springbot;

import dev.baton.Agent;
import dev.baton.spring.ai.BatonChatMemoryRepository;
import dev.baton.spring.ai.SpringAiAgent;
import dev.baton.spring.ai.SpringAiTools;
import dev.baton.tools.Access;
import dev.baton.tools.BatonTools;
import dev.baton.tools.Resource;
import dev.baton.tools.Tool;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.ai.chat.client.ChatClient;
import org.springframework.ai.chat.client.advisor.MessageChatMemoryAdvisor;
import org.springframework.ai.chat.memory.MessageWindowChatMemory;
import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.openai.OpenAiChatModel;
import org.springframework.ai.openai.OpenAiChatOptions;
import org.springframework.ai.support.ToolCallbacks;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;

/**
 * The bot: Baton's starter runs engine, store, tool runtime and gateway from {@code application.yaml}'s
 * {@code baton:} keys; the {@link Agent} bean is a Spring AI {@code ChatClient} whose memory is the session's
 * state and whose tools are the tool runtime's ({@code BatonTools.specs()}: every {@code Tool} bean — add an MCP
 * server's tools as beans and the model is offered them too, through the same locks and timeouts).
 */
@SpringBootApplication
public class SpringBootBot {

  public static void main(String[] args) {
    SpringApplication.run(SpringBootBot.class, args);
  }

  /** One Baton tool: a per-order note, locked per order (two sessions noting one order take turns). */
  public static final class OrderNotes {
    private final Map<String, String> notes = new ConcurrentHashMap<>();

    @org.springframework.ai.tool.annotation.Tool(description = "Adds a note to an order and returns all its notes")
    public String addOrderNote(String order, String note) {
      return notes.merge(order, note, (a, b) -> a + "; " + b);
    }
  }

  @Bean
  Tool orderNotesTool() {
    return SpringAiTools.tool(ToolCallbacks.from(new OrderNotes())[0],
        (args, ctx) -> List.of(Resource.of("order", args.path("order").asText(), Access.EXCLUSIVE)),
        Duration.ofSeconds(10));
  }

  @Bean
  ChatModel chatModel(@Value("${bot.openai.base-url}") String baseUrl, @Value("${bot.openai.api-key}") String key,
      @Value("${bot.openai.model}") String model) {
    return OpenAiChatModel.builder().options(OpenAiChatOptions.builder().baseUrl(baseUrl).apiKey(key).model(model)
        .maxRetries(0).build()).build();
  }

  @Bean
  Agent agent(ChatModel model, BatonTools tools) {
    ChatClient client = ChatClient.builder(model)
        .defaultSystem("You are the shop's assistant. Use add_order_note to note things on an order.")
        .defaultAdvisors(MessageChatMemoryAdvisor.builder(MessageWindowChatMemory.builder()
            .chatMemoryRepository(new BatonChatMemoryRepository()).maxMessages(40).build()).build())
        .defaultToolCallbacks(SpringAiTools.routed(tools.specs()))
        .build();
    return new SpringAiAgent(client);
  }
}
