package dev.baton.langchain4j;

import static dev.baton.agents.testing.ScriptedChatServer.call;
import static dev.baton.agents.testing.ScriptedChatServer.streamed;
import static dev.baton.agents.testing.ScriptedChatServer.toolCalls;
import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.BatonContext;
import dev.baton.Turn;
import dev.baton.agents.AgentThread;
import dev.baton.agents.FakeTurn;
import dev.baton.agents.testing.ScriptedChatServer;
import dev.baton.agents.testing.ScriptedChatServer.Streamed;
import dev.baton.tools.BatonTools;
import dev.langchain4j.agent.tool.P;
import dev.langchain4j.agent.tool.Tool;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import dev.langchain4j.service.TokenStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * LangChain4j streaming (P10): an AiServices assistant returning TokenStream, on a real OpenAiStreamingChatModel
 * against the scripted SSE provider. Partial responses reach the turn's ReplyStream; @Tool calls of a streamed
 * round run through Baton's tool runtime with the turn's context (on the model's callback threads); an interrupt
 * cancels the stream and the provider sees its connection close.
 */
class LangChain4jStreamingTest {

  interface Assistant {
    TokenStream chat(String message);
  }

  static final Instant DEADLINE = Instant.parse("2030-01-01T00:00:00Z");
  final ScriptedChatServer server = ScriptedChatServer.start();
  final List<BatonTools> runtimes = new ArrayList<>();

  @AfterEach
  void stop() {
    server.close();
    runtimes.forEach(BatonTools::close);
  }

  OpenAiStreamingChatModel model() {
    return OpenAiStreamingChatModel.builder().baseUrl(server.baseUrl()).apiKey("k").modelName("m").build();
  }

  /** Records which session each call ran for. */
  static final class Sessions {
    final List<String> seen = new CopyOnWriteArrayList<>();

    @Tool("Says which session this runs for")
    String whoami(@P("a tag") String tag) {
      String s = BatonContext.current().map(c -> c.session().value()).orElse("none");
      seen.add(s);
      return s + "/" + tag;
    }
  }

  FakeTurn turn(String session, String text, BatonTools rt) {
    return new FakeTurn(session, List.of(new Turn.Message(session + "-1", "u", text, DEADLINE)), List.of(), Map.of(),
        (dev.baton.spi.tool.ToolRuntime) rt, DEADLINE);
  }

  BatonTools runtime(Object tools) {
    BatonTools.Builder b = BatonTools.builder().builtIns(false);
    LangChain4jTools.tools(tools).forEach(b::tool);
    BatonTools rt = b.build();
    runtimes.add(rt);
    return rt;
  }

  @Test
  void partialResponsesStreamAndToolsOfAStreamedRoundRunForTheTurn() throws Exception {
    Sessions tools = new Sessions();
    LangChain4jAgent<Assistant> agent = LangChain4jAgent.builder(Assistant.class).streamingChatModel(model())
        .tools(tools).stream(Assistant::chat).build();
    server.enqueue(toolCalls(call("x", "whoami", "{\"tag\":\"t\"}")), streamed("You ", "are ", "ann."));
    FakeTurn turn = turn("ann", "who am I?", runtime(tools));
    AgentThread.run(agent, turn);

    assertThat(tools.seen).containsExactly("api:u:ann"); // the tool ran on a callback thread, for this turn
    assertThat(turn.deltas).containsExactly("You ", "are ", "ann.");
    assertThat(turn.replies).containsExactly("You are ann.");
    assertThat(turn.state).containsKey(BatonChatMemoryStore.KEY_PREFIX + "default"); // memory found the turn too
  }

  @Test
  void anInterruptCancelsTheStreamAndTheProviderSeesTheConnectionClose() throws Exception {
    List<String> many = new ArrayList<>();
    for (int i = 0; i < 400; i++) many.add("w" + i + " ");
    server.enqueue(new Streamed(many, List.of(), 25, -1));
    LangChain4jAgent<Assistant> agent = LangChain4jAgent.builder(Assistant.class).streamingChatModel(model())
        .stream(Assistant::chat).build();
    FakeTurn turn = turn("bob", "talk", runtime(new Sessions()));
    AgentThread t = AgentThread.start(agent, turn);
    assertThat(turn.firstDelta.await(10, TimeUnit.SECONDS)).isTrue();

    t.interrupt();
    assertThat(t.joinFailure()).isInstanceOf(InterruptedException.class);
    assertThat(server.awaitAbortedWrite(Duration.ofSeconds(10))).isTrue();
    assertThat(turn.replies).isEmpty();
    assertThat(turn.deltas.size()).isLessThan(many.size());
  }
}
