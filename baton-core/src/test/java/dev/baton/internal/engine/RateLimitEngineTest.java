package dev.baton.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.Admission;
import dev.baton.Baton;
import dev.baton.InboundMessage;
import dev.baton.Reply;
import dev.baton.config.RateLimitsConfig;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * agent.rate_limits through the engine: the per-user bucket refuses at admission (Busy with its own text,
 * nothing stored, counted), after dedup (a redelivery is a Duplicate and costs no token); the daily token
 * budget answers with its text and calls no agent.
 */
class RateLimitEngineTest extends GatedEngineFixture {

  private static InboundMessage msg(String id, String user) {
    return InboundMessage.of("api", id, user, "hi", T0);
  }

  private Baton start(int perMinute, int burst, long tokensPerDay) {
    Cfg cfg = new Cfg();
    var base = cfg.build();
    var limits = RateLimitsConfig.defaults()
        .withPerUser(new RateLimitsConfig.PerUserConfig(perMinute, burst, "slow down, please", 1000))
        .withTokensPerUserPerDay(tokensPerDay);
    return Baton.builder().config(base.withAgent(base.agent().withRateLimits(limits))).scheduler(clock).agent(agent)
        .store(store).replies(replies).meterRegistry(meters).build();
  }

  private double refusedByRate() {
    return meters.counter("baton.bounds.refused", "bound", "rate_per_user").count();
  }

  @Test
  void nMessagesPerMinuteAreAcceptedTheNextIsBusyWithItsOwnTextAndNothingStored() throws Exception {
    agent.open();
    try (Baton baton = start(3, 0, 0)) { // burst 0: the same as messages_per_minute
      for (int i = 0; i < 3; i++) assertThat(baton.submit(msg("m" + i, "alice"))).isInstanceOf(Admission.Accepted.class);
      Admission over = baton.submit(msg("m3", "alice"));
      assertThat(over).isInstanceOfSatisfying(Admission.Busy.class, b -> {
        assertThat(b.reply()).isEqualTo("slow down, please");
        assertThat(b.replyQueued()).as("nothing committed: the caller answers (429, or 503 to a platform)").isFalse();
      });
      assertThat(store.status(over.key())).as("the key is given back: a retry is new").isEmpty();
      assertThat(refusedByRate()).isEqualTo(1);
      assertThat(meters.counter("baton.messages.busy").count()).isEqualTo(1);
      assertThat(baton.submit(msg("b0", "bob"))).as("another user").isInstanceOf(Admission.Accepted.class);
      replies.await(4);

      clock.advance(Duration.ofSeconds(20).minusMillis(1));
      assertThat(baton.submit(msg("m3", "alice"))).isInstanceOf(Admission.Busy.class);
      clock.advance(Duration.ofMillis(1));
      assertThat(baton.submit(msg("m3", "alice"))).as("after exactly 60/3 s").isInstanceOf(Admission.Accepted.class);
      replies.await(5);
      assertThat(replies.all()).extracting(Reply::kind).containsOnly(Reply.Kind.REPLY);
    }
  }

  /** A user over the rate can still stop a running turn (P10): a stop command is never rate limited. */
  @Test
  void aStopCommandIsNeverRateLimited() throws Exception {
    try (Baton baton = start(1, 0, 0)) {
      assertThat(baton.submit(msg("m0", "alice"))).isInstanceOf(Admission.Accepted.class); // its turn is held
      assertThat(baton.submit(msg("m1", "alice"))).as("over the rate").isInstanceOf(Admission.Busy.class);
      assertThat(baton.submit(InboundMessage.of("api", "s1", "alice", "/stop", T0)))
          .as("the stop command still gets through").isInstanceOf(Admission.Accepted.class);
      assertThat(refusedByRate()).isEqualTo(1);
      agent.open();
    }
  }

  @Test
  void aRedeliveryOfAnAdmittedMessageIsADuplicateAndCostsNoToken() throws Exception {
    agent.open();
    try (Baton baton = start(2, 0, 0)) {
      assertThat(baton.submit(msg("m1", "alice"))).isInstanceOf(Admission.Accepted.class);
      for (int i = 0; i < 5; i++) {
        assertThat(baton.submit(msg("m1", "alice"))).as("redelivery %d", i).isInstanceOf(Admission.Duplicate.class);
      }
      assertThat(baton.submit(msg("m2", "alice"))).as("the redeliveries took nothing").isInstanceOf(Admission.Accepted.class);
      assertThat(baton.submit(msg("m1", "alice"))).as("still a duplicate with the bucket empty")
          .isInstanceOf(Admission.Duplicate.class);
      assertThat(baton.submit(msg("m3", "alice"))).isInstanceOf(Admission.Busy.class);
      assertThat(refusedByRate()).isEqualTo(1);
    }
  }

  @Test
  void questionsBetweenSessionsAreNotRateLimited() {
    FlowControl f = new FlowControl(RateLimitsConfig.defaults()
        .withPerUser(new RateLimitsConfig.PerUserConfig(1, 1)), clock, meters);
    InboundMessage ask = InboundMessage.of(EngineAskRouter.CHANNEL, "q1", "agent-a", "?", T0);
    for (int i = 0; i < 10; i++) assertThat(f.admits(ask)).isTrue();
    assertThat(f.admits(msg("x", "u"))).isTrue();
    assertThat(f.admits(msg("y", "u"))).isFalse();
  }

  @Test
  void aSpentDailyBudgetIsAnsweredWithItsTextAndTheAgentIsNotCalled() throws Exception {
    Baton baton = Baton.builder().config(budgetConfig(250)).scheduler(clock).store(store).replies(replies)
        .meterRegistry(meters).agent(turn -> {
          turn.budget().record(100); // what a model call reported
          turn.reply("answered");
        }).build();
    try (baton) {
      for (int i = 0; i < 3; i++) {
        baton.submit(msg("m" + i, "alice"));
        replies.await(i + 1);
      }
      baton.submit(msg("m3", "alice")); // 300 >= 250: spent
      Reply refused = replies.await(4).get(3);
      assertThat(refused.kind()).isEqualTo(Reply.Kind.BUSY);
      assertThat(refused.text()).isEqualTo("that is all for today");
      assertThat(meters.counter("baton.budget.refused").count()).isEqualTo(1);
      assertThat(meters.counter("baton.budget.tokens").count()).isEqualTo(300);
      baton.submit(msg("b0", "bob"));
      assertThat(replies.await(5).get(4).text()).as("bob's budget is his own").isEqualTo("answered");

      clock.advance(Duration.ofDays(1)); // the next UTC day
      baton.submit(msg("m4", "alice"));
      assertThat(replies.await(6).get(5).text()).isEqualTo("answered");
    }
  }

  private static dev.baton.config.BatonConfig budgetConfig(long tokens) {
    var base = new Cfg().build();
    return base.withAgent(base.agent().withRateLimits(RateLimitsConfig.defaults().withTokensPerUserPerDay(tokens)
        .withBudgetMessage("that is all for today")));
  }
}
