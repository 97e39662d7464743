package dev.baton.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.Admission;
import dev.baton.Baton;
import dev.baton.InboundMessage;
import dev.baton.Reply;
import dev.baton.SessionKey;
import dev.baton.spi.MessageStatus;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** P4: a queued message expires exactly queue_timeout_ms after arrival; a turn is cut at turn_timeout_ms. */
class BoundedWaitsTest extends GatedEngineFixture {

  private static InboundMessage msg(String id, String user, String text) {
    return InboundMessage.of("api", id, user, text, T0);
  }

  @Test
  void queuedMessageExpiresExactlyAtQueueTimeoutCountedFromArrival() throws Exception {
    Cfg cfg = new Cfg();
    cfg.queueTimeoutMs = 1_000;
    try (Baton baton = start(cfg)) {
      baton.submit(msg("m1", "ann", "wait here"));
      agent.awaitEntered(1);
      clock.advance(Duration.ofMillis(400)); // time before m2 arrives does not count
      Admission a2 = baton.submit(msg("m2", "ann", "second"));
      clock.advance(Duration.ofMillis(999));
      assertThat(meters.counter("baton.messages.expired").count()).isZero();
      assertThat(baton.snapshot().queuedMessages()).isEqualTo(1);
      clock.advance(Duration.ofMillis(1));
      assertThat(meters.counter("baton.messages.expired").count()).isEqualTo(1);
      assertThat(baton.snapshot().queuedMessages()).isZero();

      List<Reply> got = replies.await(1);
      assertThat(got.getFirst().kind()).isEqualTo(Reply.Kind.ERROR);
      assertThat(got.getFirst().text()).isEqualTo(Engine.EXPIRED_TEXT);
      assertThat(got.getFirst().inReplyTo()).isEqualTo("m2");
      assertThat(store.status(a2.key())).contains(MessageStatus.EXPIRED);

      agent.open();
      assertThat(replies.await(2).get(1).text()).isEqualTo("wait here (turn 1)");
      assertThat(agent.turns).containsExactly(List.of("wait here")); // m2 never ran
      replies.assertOrderly();
    }
  }

  @Test
  void messageWaitingForAGlobalPermitExpiresToo() throws Exception {
    Cfg cfg = new Cfg();
    cfg.maxTotal = 1;
    cfg.queueTimeoutMs = 500;
    try (Baton baton = start(cfg)) {
      baton.submit(msg("a1", "ann", "wait"));
      agent.awaitEntered(1);
      baton.submit(msg("b1", "bob", "hello")); // bob's session is free, the global permit is not
      clock.advance(Duration.ofMillis(499));
      assertThat(meters.counter("baton.messages.expired").count()).isZero();
      clock.advance(Duration.ofMillis(1));
      assertThat(meters.counter("baton.messages.expired").count()).isEqualTo(1);
      assertThat(replies.await(1).getFirst().session()).isEqualTo(new SessionKey("api:u:bob"));
      agent.open();
      replies.await(2);
    }
  }

  /**
   * The engine's side of a turn timeout; that the turn is cut on time, journaled FAILED and the session goes
   * on is EngineContract's (on every store): here the reply's text (no exception text) and the metric.
   */
  @Test
  void aTimedOutTurnIsAnsweredWithTheGenericTextAndCounted() throws Exception {
    Cfg cfg = new Cfg();
    cfg.turnTimeoutMs = 5_000;
    try (Baton baton = start(cfg)) {
      baton.submit(msg("m1", "ann", "wait forever"));
      agent.awaitEntered(1);
      clock.advance(Duration.ofMillis(5_000));
      Reply cut = replies.await(1).getFirst();
      assertThat(cut.text()).isEqualTo(TurnRun.TIMEOUT_TEXT).doesNotContain("Interrupted");
      assertThat(meters.counter("baton.turns.timeouts").count()).isEqualTo(1);
      replies.assertOrderly();
    }
  }

  @Test
  void failingAgentGivesAGenericErrorReplyWithoutTheExceptionText() throws Exception {
    Replies rs = new Replies();
    try (Baton baton = Baton.builder().scheduler(clock).replies(rs).agent(turn -> {
      if (turn.messages().getFirst().text().equals("boom")) throw new IllegalStateException("secret db password");
      turn.reply("ok " + turn.messages().getFirst().text());
    }).build()) {
      baton.submit(msg("m1", "ann", "boom"));
      baton.submit(msg("m2", "ann", "fine"));
      List<Reply> got = rs.await(2);
      assertThat(got.get(0).kind()).isEqualTo(Reply.Kind.ERROR);
      assertThat(got.get(0).text()).isEqualTo(TurnRun.ERROR_TEXT).doesNotContain("secret");
      assertThat(got.get(1).text()).isEqualTo("ok fine");
    }
  }
}
