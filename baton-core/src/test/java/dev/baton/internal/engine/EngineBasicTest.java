package dev.baton.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.Admission;
import dev.baton.Baton;
import dev.baton.InboundMessage;
import dev.baton.Reply;
import dev.baton.SessionKey;
import dev.baton.internal.agent.EchoAgent;
import dev.baton.internal.store.MemoryStore;
import dev.baton.spi.MessageStatus;
import dev.baton.testing.ManualScheduler;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Instant;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class EngineBasicTest {

  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  @Test
  void echoAnswersEachMessageInOrderWithItsTurnNumber() throws Exception {
    Replies replies = new Replies();
    MemoryStore store = new MemoryStore();
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    try (Baton baton = Baton.builder().scheduler(new ManualScheduler()).store(store).replies(replies)
        .meterRegistry(meters).build()) {
      Admission a1 = baton.submit(InboundMessage.of("api", "m1", "alice", "hello", T0));
      Admission a2 = baton.submit(InboundMessage.of("api", "m2", "alice", "again", T0));
      assertThat(a1).isEqualTo(new Admission.Accepted(a1.key(), new SessionKey("api:u:alice")));
      assertThat(a2).isInstanceOf(Admission.Accepted.class);

      List<Reply> got = replies.await(2);
      assertThat(got).extracting(Reply::text).containsExactly("hello (turn 1)", "again (turn 2)");
      assertThat(got).extracting(Reply::outboxSeq).containsExactly(1L, 2L);
      assertThat(got).extracting(Reply::turn).containsExactly(OptionalLong.of(1), OptionalLong.of(2));
      assertThat(got).extracting(Reply::inReplyTo).containsExactly("m1", "m2");
      assertThat(got).allMatch(r -> r.kind() == Reply.Kind.REPLY && r.chat().equals("alice"));
      replies.assertOrderly();
      assertThat(store.loadSession(new SessionKey("api:u:alice")).state())
          .containsEntry(EchoAgent.TURNS_KEY, "2");
      assertThat(store.status(a1.key())).contains(MessageStatus.DONE);
      assertThat(meters.counter("baton.messages.admitted").count()).isEqualTo(2);
    }
  }

  @Test
  void aRepeatedDeliveryIsADuplicateAndGetsNoSecondTurn() throws Exception {
    Replies replies = new Replies();
    try (Baton baton = Baton.builder().scheduler(new ManualScheduler()).replies(replies).build()) {
      Admission first = baton.submit(InboundMessage.of("api", "m1", "bob", "hi", T0));
      Admission again = baton.submit(InboundMessage.of("api", "m1", "bob", "hi", T0));
      assertThat(first).isInstanceOf(Admission.Accepted.class);
      assertThat(again).isEqualTo(new Admission.Duplicate(first.key()));
      baton.submit(InboundMessage.of("api", "m2", "bob", "next", T0));
      assertThat(replies.await(2)).extracting(Reply::text).containsExactly("hi (turn 1)", "next (turn 2)");
    }
  }

  @Test
  void theDefaultAgentAndStoreComeFromServiceLoader() throws Exception {
    Replies replies = new Replies();
    try (Baton baton = Baton.builder().scheduler(new ManualScheduler()).replies(replies).build()) {
      baton.submit(InboundMessage.of("api", "x", "carol", "yo", T0));
      assertThat(replies.await(1)).extracting(Reply::text).containsExactly("yo (turn 1)");
    }
  }
}
