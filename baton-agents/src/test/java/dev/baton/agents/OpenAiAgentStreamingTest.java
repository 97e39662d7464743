package dev.baton.agents;

import static dev.baton.agents.testing.ScriptedChatServer.answer;
import static dev.baton.agents.testing.ScriptedChatServer.call;
import static dev.baton.agents.testing.ScriptedChatServer.status;
import static dev.baton.agents.testing.ScriptedChatServer.streamed;
import static dev.baton.agents.testing.ScriptedChatServer.toolCalls;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.Turn;
import dev.baton.agents.testing.ScriptedChatServer;
import dev.baton.agents.testing.ScriptedChatServer.Streamed;
import dev.baton.config.OpenAiConfig;
import dev.baton.spi.tool.ToolResult;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The openai agent streams (P10) against a scripted provider speaking chat-completion chunks over SSE: deltas
 * build the reply, tool-call fragments are assembled, usage comes from the last chunk, steered messages join
 * between rounds, a cancel closes the provider's connection, a failure after text was shown is not retried.
 */
class OpenAiAgentStreamingTest extends ScriptedProviderFixture {

  OpenAiConfig config() {
    return OpenAiConfig.defaults().withBaseUrl(server.baseUrl()).withModel("m").withApiKey("sk-test")
        .withRetries(2, 500, 800);
  }

  @Test
  void theAnswerIsStreamedAsDeltasThatBuildTheReply() throws Exception {
    server.enqueue(streamed("Hel", "lo, ", "Ann"));
    FakeTurn turn = FakeTurn.of("hi", new FakeTools(), deadline);
    AgentThread.run(OpenAiAgent.create(config(), scheduler), turn);

    assertThat(turn.deltas).containsExactly("Hel", "lo, ", "Ann");
    assertThat(turn.streamed).containsExactly("Hello, Ann");
    assertThat(turn.replies).containsExactly("Hello, Ann");
    JsonNode body = server.requests().getFirst().body();
    assertThat(body.path("stream").asBoolean()).isTrue();
    assertThat(body.path("stream_options").path("include_usage").asBoolean()).isTrue();
    assertThat(turn.staged).extracting(e -> e.text()).containsExactly("hi", "Hello, Ann");
  }

  @Test
  void toolCallFragmentsAreAssembledAndTheRoundsTextsAreOneReply() throws Exception {
    List<String> args = new CopyOnWriteArrayList<>();
    FakeTools tools = new FakeTools().tool("kv_get", "{\"type\":\"object\"}", a -> {
      args.add(a);
      return new ToolResult.Ok("{\"value\":\"blue\"}");
    });
    server.enqueue(new Streamed(List.of("Let me ", "look."), List.of(call("c1", "kv_get", "{\"key\":\"colour\"}"),
        call("c2", "kv_get", "{\"key\":\"size\"}")), 0, -1), streamed("It is ", "blue."));
    FakeTurn turn = FakeTurn.of("colour?", tools, deadline);
    AgentThread.run(OpenAiAgent.create(config(), scheduler), turn);

    assertThat(args).containsExactlyInAnyOrder("{\"key\":\"colour\"}", "{\"key\":\"size\"}"); // split in two each
    assertThat(turn.replies).containsExactly("Let me look.\n\nIt is blue.");
    assertThat(turn.deltas).containsExactly("Let me ", "look.", "\n\n", "It is ", "blue.");
    JsonNode second = server.requests().get(1).body();
    List<String> ids = new ArrayList<>();
    for (JsonNode m : second.path("messages")) if (m.path("role").asText().equals("tool")) ids.add(m.path("tool_call_id").asText());
    assertThat(ids).containsExactly("c1", "c2");
  }

  @Test
  void usageIsReadFromTheLastChunk() throws Exception {
    server.enqueue(streamed("ok"));
    OpenAiStreamingChatModel streaming = OpenAiStreamingChatModel.builder().baseUrl(server.baseUrl()).apiKey("k")
        .modelName("m").httpClientBuilder(CancellableHttpClient.builder()).build();
    ProviderCaller caller = new ProviderCaller(OpenAiChatModel.builder().baseUrl(server.baseUrl()).apiKey("k")
        .modelName("m").build(), streaming, scheduler, 0, 1, 1);
    List<String> seen = Collections.synchronizedList(new ArrayList<>());
    ChatResponse r = caller.stream(ChatRequest.builder().messages(UserMessage.from("hi")).build(), deadline, seen::add);

    assertThat(seen).containsExactly("ok");
    assertThat(r.tokenUsage().inputTokenCount()).isEqualTo(ScriptedChatServer.PROMPT_TOKENS);
    assertThat(r.tokenUsage().outputTokenCount()).isEqualTo(ScriptedChatServer.COMPLETION_TOKENS);
  }

  @Test
  void steeredMessagesJoinTheConversationAfterAToolRound() throws Exception {
    FakeTools tools = new FakeTools().tool("kv_get", "{\"type\":\"object\"}", a -> new ToolResult.Ok("{}"));
    FakeTurn turn = FakeTurn.of("first", tools, deadline);
    turn.steer.add(new Turn.Message("m-2", "alice", "and also this", deadline));
    server.enqueue(toolCalls(call("c1", "kv_get", "{}")), answer("both"));
    AgentThread.run(OpenAiAgent.create(config(), scheduler), turn);

    assertThat(turn.replies).containsExactly("both");
    List<String> firstUsers = users(server.requests().get(0).body());
    List<String> secondUsers = users(server.requests().get(1).body());
    assertThat(firstUsers).containsExactly("first"); // taken after the tool round, not before the first request
    assertThat(secondUsers).containsExactly("first", "and also this");
    assertThat(turn.staged).extracting(e -> e.text()).contains("and also this");
    assertThat(turn.steerCalls.get()).isEqualTo(1);
  }

  private static List<String> users(JsonNode body) {
    List<String> out = new ArrayList<>();
    for (JsonNode m : body.path("messages")) if (m.path("role").asText().equals("user")) out.add(m.path("content").asText());
    return out;
  }

  @Test
  void interruptingTheTurnMidStreamClosesTheProvidersConnection() throws Exception {
    List<String> many = new ArrayList<>();
    for (int i = 0; i < 400; i++) many.add("w" + i + " ");
    server.enqueue(new Streamed(many, List.of(), 25, -1)); // a slow model: 10 s of text
    FakeTurn turn = FakeTurn.of("talk", new FakeTools(), deadline);
    AgentThread t = AgentThread.start(OpenAiAgent.create(config(), scheduler), turn);
    assertThat(turn.firstDelta.await(10, TimeUnit.SECONDS)).isTrue();

    long start = System.nanoTime();
    t.interrupt();
    assertThat(t.joinFailure()).isInstanceOf(InterruptedException.class);
    long tookMs = (System.nanoTime() - start) / 1_000_000;
    assertThat(tookMs).as("the agent returned at once, not at the end of the stream").isLessThan(5_000);
    assertThat(server.awaitAbortedWrite(Duration.ofSeconds(10))).as("the provider saw the connection close").isTrue();
    assertThat(turn.replies).isEmpty();
    int shown = turn.deltas.size();
    assertThat(shown).isLessThan(many.size());
  }

  @Test
  void aFailureBeforeAnyTextIsRetriedAndAFailureAfterTextIsNot() throws Exception {
    server.enqueue(status(503, "{\"error\":{\"message\":\"busy\"}}"), streamed("fine"));
    FakeTurn first = FakeTurn.of("hi", new FakeTools(), deadline);
    AgentThread t = AgentThread.start(OpenAiAgent.create(config(), scheduler), first);
    assertThat(scheduler.nextScheduled()).isEqualTo(Duration.ofMillis(500));
    scheduler.advance(Duration.ofMillis(500));
    t.join();
    assertThat(first.replies).containsExactly("fine");

    server.enqueue(new Streamed(List.of("Part", "ial", "never"), List.of(), 0, 2), answer("not asked"));
    FakeTurn second = FakeTurn.of("hi", new FakeTools(), deadline);
    AgentThread.run(OpenAiAgent.create(config(), scheduler), second);
    assertThat(server.requests()).hasSize(3); // no retry once "Partial" was shown
    assertThat(second.replies).singleElement().asString().startsWith("Partial\n\nThe model provider stopped in the"
        + " middle of the answer");
  }
}
