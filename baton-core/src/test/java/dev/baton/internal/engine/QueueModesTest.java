package dev.baton.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.Admission;
import dev.baton.Baton;
import dev.baton.InboundMessage;
import dev.baton.Reply;
import dev.baton.config.ConcurrencyConfig.OverflowAction;
import dev.baton.config.ConcurrencyConfig.QueueMode;
import dev.baton.internal.store.MemoryStore;
import dev.baton.spi.MessageStatus;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Queue modes followup / collect / interrupt / reject, overflow actions, and debounce. */
class QueueModesTest extends GatedEngineFixture {

  private static InboundMessage msg(String id, String text) {
    return InboundMessage.of("api", id, "ann", text, T0);
  }

  @Test
  void followupRunsOneTurnPerMessageInOrder() throws Exception {
    try (Baton baton = start(new Cfg())) {
      baton.submit(msg("m1", "wait"));
      agent.awaitEntered(1);
      baton.submit(msg("m2", "b"));
      baton.submit(msg("m3", "c"));
      agent.open();
      assertThat(replies.await(3)).extracting(Reply::text)
          .containsExactly("wait (turn 1)", "b (turn 2)", "c (turn 3)");
      assertThat(agent.turns).containsExactly(List.of("wait"), List.of("b"), List.of("c"));
    }
  }

  @Test
  void collectMakesWhatQueuedDuringATurnTheNextTurn() throws Exception {
    Cfg cfg = new Cfg();
    cfg.mode = QueueMode.COLLECT;
    try (Baton baton = start(cfg)) {
      baton.submit(msg("m1", "wait"));
      agent.awaitEntered(1);
      baton.submit(msg("m2", "b"));
      baton.submit(msg("m3", "c"));
      baton.submit(msg("m4", "d"));
      agent.open();
      assertThat(replies.await(4)).extracting(Reply::text)
          .containsExactly("wait (turn 1)", "b (turn 2)", "c (turn 2)", "d (turn 2)");
      assertThat(agent.turns).containsExactly(List.of("wait"), List.of("b", "c", "d"));
      assertThat(replies.all().get(3).inReplyTo()).isEqualTo("m4");
    }
  }

  @Test
  void interruptCancelsTheRunningTurnAndTheNextTurnSeesEverythingUnanswered() throws Exception {
    Cfg cfg = new Cfg();
    cfg.mode = QueueMode.INTERRUPT;
    try (Baton baton = start(cfg)) {
      Admission a1 = baton.submit(msg("m1", "wait long"));
      agent.awaitEntered(1);
      baton.submit(msg("m2", "actually this"));
      assertThat(replies.await(2)).extracting(Reply::text)
          .containsExactly("wait long (turn 1)", "actually this (turn 1)")
          .doesNotContain(TurnRun.ERROR_TEXT);
      assertThat(agent.interrupted.get()).isEqualTo(1);
      // Second entry: the interrupted turn's message again, with the new one. The gate is still closed, so
      // only an interrupt could have ended the first turn.
      assertThat(agent.turns).hasSize(2);
      assertThat(agent.turns.get(1)).containsExactly("wait long", "actually this");
      assertThat(store.status(a1.key())).contains(MessageStatus.DONE);
    }
  }

  @Test
  void rejectModeAnswersBusyWhileATurnRuns() throws Exception {
    Cfg cfg = new Cfg();
    cfg.mode = QueueMode.REJECT;
    try (Baton baton = start(cfg)) {
      baton.submit(msg("m1", "wait"));
      agent.awaitEntered(1);
      Admission a2 = baton.submit(msg("m2", "b"));
      assertThat(a2).isEqualTo(new Admission.Busy(a2.key(), "busy, try later", true)); // the engine sends it
      // The key was released, so the sender may retry it after the turn.
      assertThat(store.status(a2.key())).isEmpty();
      List<Reply> busy = replies.await(1);
      assertThat(busy.getFirst().kind()).isEqualTo(Reply.Kind.BUSY);
      assertThat(busy.getFirst().inReplyTo()).isEqualTo("m2");
      agent.open();
      replies.await(2);
      Replies.awaitRetired((Engine) baton); // the reply is handed over before the turn leaves its session
      assertThat(baton.submit(msg("m2", "b"))).isInstanceOf(Admission.Accepted.class);
      assertThat(replies.await(3).get(2).text()).isEqualTo("b (turn 2)");
      assertThat(meters.counter("baton.messages.busy").count()).isEqualTo(1);
      replies.assertOrderly();
    }
  }

  @Test
  void fullQueueOverflowActions() throws Exception {
    for (OverflowAction action : OverflowAction.values()) {
      Replies rs = new Replies();
      MemoryStore st = new MemoryStore();
      Cfg cfg = new Cfg();
      cfg.maxQueue = 2;
      cfg.overflow = action;
      GateAgent ga = new GateAgent();
      try (Baton baton = Baton.builder().config(cfg.build()).scheduler(clock).agent(ga).store(st).replies(rs)
          .build()) {
        baton.submit(msg("m1", "wait"));
        ga.awaitEntered(1);
        assertThat(baton.submit(msg("m2", "b"))).isInstanceOf(Admission.Accepted.class);
        assertThat(baton.submit(msg("m3", "c"))).isInstanceOf(Admission.Accepted.class);
        Admission over = baton.submit(msg("m4", "d"));
        switch (action) {
          case RETURN_BUSY_MESSAGE -> {
            assertThat(over).isInstanceOf(Admission.Busy.class);
            assertThat(st.status(over.key())).isEmpty();
            assertThat(rs.await(1).getFirst().kind()).isEqualTo(Reply.Kind.BUSY);
          }
          case REJECT -> {
            assertThat(over).isInstanceOf(Admission.Rejected.class);
            assertThat(((Admission.Rejected) over).reason()).contains("queue full");
            assertThat(st.status(over.key())).isEmpty();
          }
          case DROP -> {
            assertThat(over).isInstanceOf(Admission.Rejected.class);
            // Dropped stays journaled: a re-delivery is a duplicate, not a second chance.
            assertThat(baton.submit(msg("m4", "d"))).isInstanceOf(Admission.Duplicate.class);
          }
        }
        ga.open();
        List<Reply> all = rs.await(action == OverflowAction.RETURN_BUSY_MESSAGE ? 4 : 3);
        assertThat(all).extracting(Reply::text).contains("wait (turn 1)", "b (turn 2)", "c (turn 3)")
            .noneMatch(t -> t.startsWith("d ("));
      }
    }
  }

  @Test
  void debounceWaitsForAQuietMomentBeforeATurnStarts() throws Exception {
    Cfg cfg = new Cfg();
    cfg.mode = QueueMode.COLLECT;
    cfg.debounceMs = 300;
    try (Baton baton = start(cfg)) {
      baton.submit(msg("m1", "a"));
      clock.advance(Duration.ofMillis(200));
      baton.submit(msg("m2", "b"));
      clock.advance(Duration.ofMillis(299));
      // No turn may have started: claims happen on the thread that submits or advances time.
      assertThat(baton.snapshot().runningTurns()).isZero();
      assertThat(agent.turns).isEmpty();
      assertThat(baton.snapshot().queuedMessages()).isEqualTo(2);
      clock.advance(Duration.ofMillis(1));
      assertThat(replies.await(2)).extracting(Reply::text).containsExactly("a (turn 1)", "b (turn 1)");
      assertThat(agent.turns).containsExactly(List.of("a", "b"));
    }
  }
}
