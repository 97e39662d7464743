package dev.baton.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.Baton;
import dev.baton.InboundMessage;
import dev.baton.Reply;
import dev.baton.SessionKey;
import dev.baton.agents.testing.ScriptedChatServer;
import dev.baton.internal.store.MemoryStore;
import dev.baton.testing.ManualScheduler;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.ChatMessageDeserializer;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.openai.OpenAiChatModel;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * LangChain4j's chat memory under the engine: messages of one session sent from many threads at once never
 * corrupt its memory (LangChain4j's documented same-memory-id race), because the session's turns are serial.
 */
class LangChain4jEngineTest {

  interface Assistant {
    String chat(String message);
  }

  static final int MESSAGES = 12;

  final ScriptedChatServer server = ScriptedChatServer.start();

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void concurrentMessagesOfOneSessionAllLandInItsMemory() throws Exception {
    // The model answers "seen N" where N is how many user messages its memory held: a lost update shows.
    server.fallback(body -> {
      int users = 0;
      for (JsonNode m : body.path("messages")) if ("user".equals(m.path("role").asText())) users++;
      return ScriptedChatServer.answer("seen " + users);
    });
    OpenAiChatModel model = OpenAiChatModel.builder().baseUrl(server.baseUrl()).apiKey("k").modelName("m")
        .maxRetries(0).build();
    LangChain4jAgent<Assistant> agent = LangChain4jAgent.builder(Assistant.class).chatModel(model)
        .maxMessages(1_000).answer(Assistant::chat).build();
    MemoryStore store = new MemoryStore();
    BlockingQueue<Reply> replies = new LinkedBlockingQueue<>();
    Instant t0 = Instant.parse("2026-01-01T00:00:00Z");

    try (Baton baton = Baton.builder().scheduler(new ManualScheduler()).store(store).agent(agent)
        .replies(replies::add).build()) {
      CyclicBarrier start = new CyclicBarrier(MESSAGES);
      java.util.Queue<Throwable> failures = new java.util.concurrent.ConcurrentLinkedQueue<>();
      List<Thread> senders = new ArrayList<>();
      for (int i = 0; i < MESSAGES; i++) {
        int n = i;
        senders.add(Thread.ofPlatform().start(() -> {
          try {
            start.await(10, TimeUnit.SECONDS);
            baton.submit(InboundMessage.of("api", "m" + n, "ann", "message " + n, t0));
          } catch (Throwable t) {
            failures.add(t);
          }
        }));
      }
      for (Thread t : senders) t.join(10_000);
      assertThat(failures).isEmpty();
      List<String> texts = new ArrayList<>();
      for (int i = 0; i < MESSAGES; i++) {
        Reply r = replies.poll(20, TimeUnit.SECONDS);
        assertThat(r).as("reply %d", i).isNotNull();
        texts.add(r.text());
      }
      // Serial turns: the k-th turn saw exactly k user messages.
      List<String> expected = new ArrayList<>();
      for (int k = 1; k <= MESSAGES; k++) expected.add("seen " + k);
      assertThat(texts).containsExactlyElementsOf(expected);
    }

    String json = store.loadSession(new SessionKey("api:u:ann")).state()
        .get(BatonChatMemoryStore.KEY_PREFIX + "default");
    List<ChatMessage> memory = ChatMessageDeserializer.messagesFromJson(json);
    assertThat(memory).hasSize(2 * MESSAGES);
    assertThat(memory.stream().filter(m -> m instanceof UserMessage).count()).isEqualTo(MESSAGES);
    assertThat(memory.stream().filter(m -> m instanceof AiMessage).count()).isEqualTo(MESSAGES);
  }
}
