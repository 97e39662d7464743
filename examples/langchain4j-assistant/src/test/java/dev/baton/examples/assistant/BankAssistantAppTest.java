package dev.baton.examples.assistant;

import static dev.baton.agents.testing.ScriptedChatServer.answer;
import static dev.baton.agents.testing.ScriptedChatServer.call;
import static dev.baton.agents.testing.ScriptedChatServer.toolCalls;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.Admission;
import dev.baton.Reply;
import dev.baton.agents.testing.ScriptedChatServer;
import dev.baton.config.BatonConfig;
import dev.baton.config.StorageConfig;
import dev.langchain4j.model.openai.OpenAiChatModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The example end to end: Baton engine, LangChain4j assistant, tools, memory, a local chat-completions server. */
class BankAssistantAppTest {

  final ScriptedChatServer server = ScriptedChatServer.start();
  final BlockingQueue<Reply> replies = new LinkedBlockingQueue<>();

  @AfterEach
  void stop() {
    server.close();
  }

  Reply nextReply() throws InterruptedException {
    Reply r = replies.poll(20, TimeUnit.SECONDS);
    if (r == null) throw new AssertionError("no reply within 20 s");
    return r;
  }

  @Test
  void theAssistantsMemoryOutlivesARestartWithASqliteStore(@TempDir Path dir) throws Exception {
    server.enqueue(answer("Hello Ann."), answer("You are Ann."));
    OpenAiChatModel model = OpenAiChatModel.builder().baseUrl(server.baseUrl()).apiKey("k").modelName("m")
        .maxRetries(0).build();
    BatonConfig config = BatonConfig.defaults().withStorage(StorageConfig.sqlite(dir.resolve("a.db").toString()));

    try (BankAssistantApp app = new BankAssistantApp(config, model, new BankTools(), replies::add)) {
      app.send("ann", "m1", "I am Ann");
      assertThat(nextReply().text()).isEqualTo("Hello Ann.");
    }
    try (BankAssistantApp restarted = new BankAssistantApp(config, model, new BankTools(), replies::add)) {
      restarted.send("ann", "m2", "Who am I?");
      // (A reply not marked delivered before the restart is offered again first: skip to the answer to m2.)
      Reply r = nextReply();
      while (!r.inReplyTo().equals("m2")) r = nextReply();
      assertThat(r.text()).isEqualTo("You are Ann.");
    }

    List<String> contents = new ArrayList<>();
    for (JsonNode m : server.requests().get(1).messages()) contents.add(m.path("content").asText());
    assertThat(contents).containsSubsequence("I am Ann", "Hello Ann.", "Who am I?");
  }

  @Test
  void aTransferNeedsTwoToolRoundsAndTheSessionRemembersIt() throws Exception {
    BankTools bank = new BankTools();
    server.enqueue(
        toolCalls(call("c1", "balance", "{\"account\":\"checking\"}")),
        toolCalls(call("c2", "transfer", "{\"from\":\"checking\",\"to\":\"savings\",\"amount\":5000}")),
        answer("Done: 50.00 moved to savings."),
        answer("You moved 50.00 to savings."));
    OpenAiChatModel model = OpenAiChatModel.builder().baseUrl(server.baseUrl()).apiKey("k").modelName("m")
        .maxRetries(0).build();

    try (BankAssistantApp app = new BankAssistantApp(model, bank, replies::add)) {
      assertThat(app.send("ann", "m1", "Move 50 from checking to savings if I have it"))
          .isInstanceOf(Admission.Accepted.class);
      Reply first = nextReply();
      assertThat(first.text()).isEqualTo("Done: 50.00 moved to savings.");
      assertThat(first.kind()).isEqualTo(Reply.Kind.REPLY);

      app.send("ann", "m2", "What did I just do?");
      assertThat(nextReply().text()).isEqualTo("You moved 50.00 to savings.");
    }

    assertThat(bank.cents("checking")).isEqualTo(70_00);
    assertThat(bank.cents("savings")).isEqualTo(1_050_00);
    List<ScriptedChatServer.Recorded> reqs = server.requests();
    assertThat(reqs).hasSize(4);
    assertThat(ScriptedChatServer.toolResultTexts(reqs.get(1))).containsExactly("12000");
    assertThat(ScriptedChatServer.toolResultTexts(reqs.get(2)).get(1))
        .contains("moved 5000 cents", "for ann", "checking=7000", "savings=105000");
    // The second turn carries the first from the session's durable memory.
    List<String> roles = new ArrayList<>();
    for (JsonNode m : reqs.get(3).messages()) roles.add(m.path("role").asText());
    assertThat(roles).containsExactly("system", "user", "assistant", "tool", "assistant", "tool", "assistant", "user");
  }
}
