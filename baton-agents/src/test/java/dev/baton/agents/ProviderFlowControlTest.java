package dev.baton.agents;

import static dev.baton.agents.testing.ScriptedChatServer.answer;
import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.Turn;
import dev.baton.agents.testing.ScriptedChatServer;
import dev.baton.agents.testing.ScriptedChatServer.Arrival;
import dev.baton.config.OpenAiConfig;
import dev.baton.config.ProviderLimitsConfig;
import dev.baton.spi.AgentEnvironment;
import dev.baton.testing.ManualScheduler;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The openai agent against the rate-limited provider stub, many sessions at once on the manual clock: with the
 * limiter set to the stub's rate, no request beyond it reaches the stub and every session is answered within its
 * deadline, in arrival order; with no limit configured, the stub's 429 with Retry-After pauses every caller once
 * and no request reaches the stub during the pause; a pause past a turn's deadline ends that turn at once.
 */
class ProviderFlowControlTest {

  static final Duration SPIN_LIMIT = Duration.ofSeconds(20);
  static final Duration DEADLINE = Duration.ofMinutes(5);

  final ManualScheduler clock = new ManualScheduler();
  final Instant t0 = clock.now();
  final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  final ScriptedChatServer stub = ScriptedChatServer.start().rateLimit(0, clock::now)
      .fallback(body -> answer("ok"));

  @AfterEach
  void stop() {
    stub.close();
  }

  OpenAiAgent agent(int rpm, boolean stream) {
    OpenAiConfig c = OpenAiConfig.defaults().withBaseUrl(stub.baseUrl()).withModel("m").withApiKey("k")
        .withStream(stream).withRetries(5, 500, 500);
    return OpenAiAgent.create(c, new ProviderLimitsConfig(rpm, 0),
        new AgentEnvironment(clock, meters, Optional.empty(), Optional.empty()));
  }

  static void until(BooleanSupplier condition, String what) {
    long limit = System.nanoTime() + SPIN_LIMIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > limit) throw new AssertionError("not within " + SPIN_LIMIT + ": " + what);
      Thread.onSpinWait();
    }
  }

  FakeTurn turn(int i, Duration deadline) {
    Instant d = t0.plus(deadline);
    return new FakeTurn("s" + i, List.of(new Turn.Message("m-" + i, "u" + i, "hi from " + i, t0)), List.of(),
        Map.of(), new FakeTools(), d);
  }

  static boolean answered(FakeTurn t) {
    return !t.replies.isEmpty();
  }

  long seconds(Instant at) {
    return Duration.between(t0, at).toSeconds();
  }

  @ParameterizedTest(name = "stream={0}")
  @ValueSource(booleans = {false, true})
  void noMoreThanTheConfiguredRateReachesTheStubAndEverySessionIsAnsweredInOrderWithinItsDeadline(boolean stream)
      throws Exception {
    int rpm = 3;
    int sessions = 9;
    stub.rateLimit(rpm, clock::now);
    OpenAiAgent agent = agent(rpm, stream);
    FakeTurn[] turns = new FakeTurn[sessions];
    AgentThread[] threads = new AgentThread[sessions];
    Map<Integer, Long> answeredAt = new ConcurrentHashMap<>();
    for (int i = 0; i < sessions; i++) {
      int me = i;
      turns[i] = turn(i, DEADLINE);
      threads[i] = AgentThread.start(agent, turns[i]);
      int waitingBefore = agent.limiter().waiting();
      until(() -> answered(turns[me]) || agent.limiter().waiting() > waitingBefore || me >= rpm
          && agent.limiter().waiting() == me - rpm + 1, "session " + me + " answered or queued");
      if (answered(turns[me])) answeredAt.put(me, seconds(clock.now()));
    }
    for (int minute = 1; minute < sessions / rpm; minute++) {
      clock.advance(Duration.ofMinutes(1));
      int expected = (minute + 1) * rpm;
      until(() -> countAnswered(turns) == expected, expected + " answered");
      for (int i = 0; i < sessions; i++) if (answered(turns[i])) answeredAt.putIfAbsent(i, seconds(clock.now()));
    }
    for (AgentThread t : threads) t.join();

    List<Arrival> arrivals = stub.arrivals();
    assertThat(arrivals).hasSize(sessions).allSatisfy(a -> assertThat(a.status()).isEqualTo(200));
    for (Arrival a : arrivals) {
      assertThat(arrivals.stream().filter(b -> !b.at().isBefore(a.at()) && b.at().isBefore(a.at().plusSeconds(60))))
          .as("requests in the 60 s from %s", a.at()).hasSizeLessThanOrEqualTo(rpm);
    }
    for (int i = 0; i < sessions; i++) {
      assertThat(turns[i].replies).as("session %d", i).containsExactly("ok");
      assertThat(answeredAt.get(i)).as("session %d answered at (s)", i).isEqualTo((long) (i / rpm) * 60);
    }
  }

  private static int countAnswered(FakeTurn[] turns) {
    int n = 0;
    for (FakeTurn t : turns) if (t != null && answered(t)) n++;
    return n;
  }

  @Test
  void aStub429WithRetryAfterPausesEveryCallerOnceAndNothingReachesTheStubDuringThePause() throws Exception {
    stub.rateLimit(2, clock::now); // the provider's limit; Baton has none configured: the backoff is on anyway
    OpenAiAgent agent = agent(0, false);
    FakeTurn[] turns = new FakeTurn[4];
    AgentThread[] threads = new AgentThread[4];
    for (int i = 0; i < 3; i++) {
      turns[i] = turn(i, DEADLINE);
      threads[i] = AgentThread.start(agent, turns[i]);
    }
    // Two answered, the third got 429 + Retry-After: 60 and waits in the shared pause.
    until(() -> countAnswered(turns) == 2 && agent.limiter().waiting() == 1, "two answered, one paused");
    assertThat(agent.limiter().pausedUntil()).isEqualTo(t0.plusSeconds(60));
    clock.advance(Duration.ofSeconds(10));
    turns[3] = turn(3, DEADLINE); // a session that arrives during the pause waits for the same instant
    threads[3] = AgentThread.start(agent, turns[3]);
    until(() -> agent.limiter().waiting() == 2, "the newcomer waits too");
    for (int s = 10; s < 60; s++) { // in steps shorter than any private backoff (500 ms) would be
      clock.advance(Duration.ofMillis(250));
      assertThat(stub.arrivals()).as("requests that reached the stub by %d.25 s", s).hasSize(3);
      clock.advance(Duration.ofMillis(750));
      if (s == 59) break; // 60 s: the pause is over and the waiters go (a CI run saw one arrive before this look)
      assertThat(stub.arrivals()).as("requests that reached the stub by %d s", s + 1).hasSize(3);
      assertThat(agent.limiter().waiting()).isEqualTo(2);
    }
    until(() -> countAnswered(turns) == 4, "both answered at the pause's end");
    for (AgentThread t : threads) t.join();

    List<Arrival> arrivals = stub.arrivals();
    assertThat(arrivals.stream().map(a -> seconds(a.at()) + ":" + a.status()))
        .containsExactlyInAnyOrder("0:200", "0:200", "0:429", "60:200", "60:200");
    assertThat(meters.get("baton.provider.pauses").counter().count()).isEqualTo(1);
    for (FakeTurn t : turns) assertThat(t.replies).containsExactly("ok");
  }

  @Test
  void aPausePastTheTurnsDeadlineEndsTheTurnAtOnceWithAClearError() throws Exception {
    stub.rateLimit(1, clock::now);
    OpenAiAgent agent = agent(0, false);
    AgentThread.run(agent, turn(0, DEADLINE));
    FakeTurn late = turn(1, Duration.ofSeconds(30));
    AgentThread.run(agent, late); // ends without time moving: the 429 said 60 s, the turn has 30
    assertThat(late.errors).singleElement().asString().contains("rate limiting (HTTP 429)", "try again later");
    assertThat(stub.arrivals()).hasSize(2);
    // And a turn that comes while the pause lasts and cannot outlive it is refused without a request.
    FakeTurn next = turn(2, Duration.ofSeconds(30));
    AgentThread.run(agent, next);
    assertThat(next.errors).singleElement().asString().contains("asked to pause until", "past this turn's deadline");
    assertThat(stub.arrivals()).hasSize(2);
  }
}
