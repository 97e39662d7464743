package dev.baton.agents;

import static dev.baton.agents.testing.ScriptedChatServer.answer;
import static dev.baton.agents.testing.ScriptedChatServer.call;
import static dev.baton.agents.testing.ScriptedChatServer.status;
import static dev.baton.agents.testing.ScriptedChatServer.toolCalls;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.read.ListAppender;
import dev.baton.agents.testing.ScriptedChatServer;
import dev.baton.config.BatonConfig;
import dev.baton.config.OpenAiConfig;
import dev.baton.spi.AgentProvider;
import dev.baton.spi.tool.ToolResult;
import java.time.Duration;
import java.util.ServiceLoader;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.slf4j.LoggerFactory;

/** Provider failures: retries timed by the injected scheduler, error replies, cancellation, secrets. */
class OpenAiAgentProviderErrorsTest extends ScriptedProviderFixture {

  static final String KEY = "sk-live-SECRET-0123456789abcdef";


  OpenAiConfig config(int retries) {
    return OpenAiConfig.defaults().withBaseUrl(server.baseUrl()).withModel("m").withApiKey(KEY)
        .withRetries(retries, 500, 800);
  }

  static void assertPlainWords(String reply) {
    assertThat(reply).doesNotContain("Exception", "\tat ", "dev.langchain4j", KEY);
  }

  @Test
  void a429IsRetriedAfterTheBackoffThenSucceeds() throws Exception {
    server.enqueue(status(429, "{\"error\":{\"message\":\"slow down\"}}"), answer("ok"));
    FakeTurn turn = FakeTurn.of("hi", new FakeTools(), deadline);
    AgentThread t = AgentThread.start(OpenAiAgent.create(config(3), scheduler), turn);

    assertThat(scheduler.nextScheduled()).isEqualTo(Duration.ofMillis(500));
    assertThat(server.requests()).hasSize(1); // the retry waits for the scheduler, not a sleep
    scheduler.advance(Duration.ofMillis(500));
    t.join();

    assertThat(server.requests()).hasSize(2);
    assertThat(turn.replies).containsExactly("ok");
    assertThat(turn.errors).isEmpty();
  }

  @Test
  void fiveHundredsAreRetriedWithGrowingBackoffUntilGivingUp() throws Exception {
    server.fallback(body -> status(500, "{\"error\":{\"message\":\"internal error\"}}"));
    FakeTurn turn = FakeTurn.of("hi", new FakeTools(), deadline);
    AgentThread t = AgentThread.start(OpenAiAgent.create(config(3), scheduler), turn);

    assertThat(scheduler.nextScheduled()).isEqualTo(Duration.ofMillis(500));
    scheduler.advance(Duration.ofMillis(500));
    assertThat(scheduler.nextScheduled()).isEqualTo(Duration.ofMillis(800)); // doubled, capped at max
    scheduler.advance(Duration.ofMillis(800));
    assertThat(scheduler.nextScheduled()).isEqualTo(Duration.ofMillis(800));
    scheduler.advance(Duration.ofMillis(800));
    t.join();

    assertThat(server.requests()).hasSize(4);
    assertThat(turn.replies).singleElement().asString()
        .contains("unavailable (HTTP 500)", "after 4 attempts");
    assertThat(turn.errors).isEqualTo(turn.replies);
    assertPlainWords(turn.replies.get(0));
  }

  @Test
  void noRetryIsStartedThatWouldEndAfterTheTurnsDeadline() throws Exception {
    server.enqueue(status(429, "{}"), answer("too late"));
    FakeTurn turn = FakeTurn.of("hi", new FakeTools(), scheduler.now().plusMillis(300));
    AgentThread.run(OpenAiAgent.create(config(3), scheduler), turn);

    assertThat(scheduler.nothingScheduled()).isTrue();
    assertThat(server.requests()).hasSize(1);
    assertThat(turn.replies).singleElement().asString().contains("ran out of time");
  }

  @Test
  void aClientErrorIsNotRetriedAndBecomesAnErrorReply() throws Exception {
    server.enqueue(status(400, "{\"error\":{\"message\":\"bad request\"}}"), answer("never"));
    FakeTurn turn = FakeTurn.of("hi", new FakeTools(), deadline);
    AgentThread.run(OpenAiAgent.create(config(3), scheduler), turn);

    assertThat(server.requests()).hasSize(1);
    assertThat(turn.replies).singleElement().asString().contains("rejected the request (HTTP 400)");
    assertThat(turn.errors).isEqualTo(turn.replies);
  }

  @Test
  void aMalformedResponseBecomesAClearErrorReply() throws Exception {
    server.enqueue(status(200, "<html>this is not chat completions</html>"));
    FakeTurn turn = FakeTurn.of("hi", new FakeTools(), deadline);
    AgentThread.run(OpenAiAgent.create(config(3), scheduler), turn);

    assertThat(server.requests()).hasSize(1);
    assertThat(turn.replies).singleElement().asString().contains("not a chat-completions stream");
    assertThat(turn.errors).hasSize(1);
    assertPlainWords(turn.replies.get(0));
  }

  @Test
  void aMalformedResponseWithoutStreamingBecomesAClearErrorReply() throws Exception {
    server.enqueue(status(200, "<html>this is not chat completions</html>"));
    FakeTurn turn = FakeTurn.of("hi", new FakeTools(), deadline);
    AgentThread.run(OpenAiAgent.create(config(3).withStream(false), scheduler), turn);

    assertThat(server.requests()).hasSize(1);
    assertThat(server.requests().getFirst().body().path("stream").asBoolean()).isFalse();
    assertThat(turn.replies).singleElement().asString().contains("not valid chat-completions JSON");
    assertPlainWords(turn.replies.get(0));
  }

  @Test
  void aResponseWithoutChoicesBecomesAClearErrorReply() throws Exception {
    server.enqueue(status(200, "{\"id\":\"x\",\"object\":\"chat.completion\",\"choices\":[]}"));
    FakeTurn turn = FakeTurn.of("hi", new FakeTools(), deadline);
    AgentThread.run(OpenAiAgent.create(config(3), scheduler), turn);

    assertThat(turn.replies).singleElement().asString().startsWith("The model provider");
    assertPlainWords(turn.replies.get(0));
  }

  @Test
  void anUnreachableProviderIsRetriedThenReportedInPlainWords() throws Exception {
    ScriptedChatServer gone = ScriptedChatServer.start();
    String url = gone.baseUrl();
    gone.close(); // nothing listens on this port any more
    FakeTurn turn = FakeTurn.of("hi", new FakeTools(), deadline);
    AgentThread t = AgentThread.start(OpenAiAgent.create(config(1).withBaseUrl(url), scheduler), turn);

    assertThat(scheduler.nextScheduled()).isEqualTo(Duration.ofMillis(500));
    scheduler.advance(Duration.ofMillis(500));
    t.join();

    assertThat(turn.replies).singleElement().asString().contains("unavailable (connection refused)");
    assertPlainWords(turn.replies.get(0));
  }

  /**
   * A connection that fails after the request was sent (reset, or closed before the response: the HTTP/1.1
   * parser's EOF) is retried, as the official OpenAI SDKs retry every connection error; over real sockets.
   */
  @ParameterizedTest
  @EnumSource(DroppingProxy.Drop.class)
  void aConnectionDroppedBeforeTheResponseIsRetriedAndTheSecondAttemptSucceeds(DroppingProxy.Drop how)
      throws Exception {
    server.enqueue(answer("ok after the drop"));
    try (DroppingProxy proxy = DroppingProxy.start(java.net.URI.create(server.baseUrl()), 1, how)) {
      FakeTurn turn = FakeTurn.of("hi", new FakeTools(), deadline);
      AgentThread t = AgentThread.start(OpenAiAgent.create(
          config(3).withBaseUrl(proxy.baseUrl(server.baseUrl())), scheduler), turn);

      assertThat(scheduler.nextScheduled()).isEqualTo(Duration.ofMillis(500));
      assertThat(server.requests()).isEmpty(); // the dropped attempt never reached the server
      scheduler.advance(Duration.ofMillis(500));
      t.join();

      assertThat(turn.replies).containsExactly("ok after the drop");
      assertThat(turn.errors).isEmpty();
      assertThat(server.requests()).hasSize(1);
      assertThat(proxy.connections()).isEqualTo(2);
    }
  }

  @Test
  void interruptingTheTurnStopsTheHttpCall() throws Exception {
    CountDownLatch arrived = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    // A response far larger than the socket buffers: writing it fails if the client closed the connection.
    server.enqueue(new ScriptedChatServer.Held(arrived, release, status(200, "x".repeat(8 << 20))));
    FakeTurn turn = FakeTurn.of("hi", new FakeTools(), deadline);
    AgentThread t = AgentThread.start(OpenAiAgent.create(config(3), scheduler), turn);

    assertThat(arrived.await(10, TimeUnit.SECONDS)).isTrue();
    t.interrupt();
    // The turn ends while the server still holds the response: the call was abandoned, not awaited...
    assertThat(t.joinFailure()).isInstanceOf(InterruptedException.class);
    release.countDown();
    // ...and the HTTP exchange itself was cancelled: the connection is gone when the server answers.
    assertThat(server.awaitAbortedWrite(Duration.ofSeconds(10))).isTrue();
    assertThat(turn.replies).isEmpty();
    assertThat(scheduler.nothingScheduled()).isTrue();
  }

  @Test
  void theApiKeyNeverAppearsInLogsRepliesOrConfigText() throws Exception {
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    ListAppender<ILoggingEvent> logs = new ListAppender<>();
    logs.start();
    Level before = root.getLevel();
    root.setLevel(Level.TRACE);
    root.addAppender(logs);
    try {
      // OpenAI's own 401 quotes the key back; so does this server.
      server.enqueue(status(429, "{\"error\":{\"message\":\"slow down " + KEY + "\"}}"),
          toolCalls(call("c1", "echo", "{}")),
          status(401, "{\"error\":{\"message\":\"Incorrect API key provided: " + KEY + "\"}}"));
      FakeTools tools = new FakeTools().tool("echo", "{\"type\":\"object\"}", a -> new ToolResult.Ok("{}"));
      FakeTurn turn = FakeTurn.of("hi", tools, deadline);
      AgentThread t = AgentThread.start(OpenAiAgent.create(config(3), scheduler), turn);
      scheduler.nextScheduled();
      scheduler.advance(Duration.ofMillis(500));
      t.join();

      assertThat(server.requests().get(0).authorization()).contains("Bearer " + KEY); // it was really sent
      assertThat(turn.replies).singleElement().asString().contains("HTTP 401", "api_key");
      assertPlainWords(turn.replies.get(0));
      assertThat(logs.list).isNotEmpty();
      for (ILoggingEvent e : logs.list) {
        assertThat(e.getFormattedMessage()).doesNotContain(KEY);
        for (IThrowableProxy p = e.getThrowableProxy(); p != null; p = p.getCause()) {
          assertThat(p.getMessage()).doesNotContain(KEY);
        }
      }
      assertThat(config(3).toString()).doesNotContain(KEY).contains("apiKey=***");
    } finally {
      root.detachAppender(logs);
      root.setLevel(before);
    }
  }

  @Test
  void theProviderIsFoundByServiceLoaderAsOpenai() {
    AgentProvider p = ServiceLoader.load(AgentProvider.class).stream().map(ServiceLoader.Provider::get)
        .filter(x -> x.type().equals("openai")).findFirst().orElseThrow();
    BatonConfig cfg = BatonConfig.defaults();
    cfg = cfg.withAgent(cfg.agent().withType("openai").withOpenai(config(0)));
    assertThat(p.create(cfg)).isInstanceOf(OpenAiAgent.class);
  }
}
