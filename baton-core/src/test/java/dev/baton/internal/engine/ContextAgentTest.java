package dev.baton.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.Baton;
import dev.baton.InboundMessage;
import dev.baton.Reply;
import dev.baton.SessionKey;
import dev.baton.internal.agent.ContextAgent;
import dev.baton.internal.store.MemoryStore;
import dev.baton.testing.ManualScheduler;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The {@code context} agent of the probe contract: each reply lists every code of its session, in order. */
class ContextAgentTest {

  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  @Test
  void eachReplyListsTheSessionsCodesInOrderAndNeverAnotherSessions() throws Exception {
    Replies replies = new Replies();
    MemoryStore store = new MemoryStore();
    try (Baton baton = Baton.builder().scheduler(new ManualScheduler()).store(store).replies(replies)
        .agent(new ContextAgent()).build()) {
      baton.submit(InboundMessage.of("api", "a1", "alice", "remember pnaaaaaaaa01 please", T0));
      baton.submit(InboundMessage.of("api", "b1", "bob", "remember pnbbbbbbbb01", T0));
      baton.submit(InboundMessage.of("api", "a2", "alice", "and pnaaaaaaaa02", T0));
      baton.submit(InboundMessage.of("api", "a3", "alice", "no code here, and pnTOOSHORT is none", T0));

      List<Reply> got = replies.await(4);
      assertThat(got.stream().filter(r -> r.chat().equals("alice")).map(Reply::text))
          .containsExactly("codes: pnaaaaaaaa01", "codes: pnaaaaaaaa01 pnaaaaaaaa02",
              "codes: pnaaaaaaaa01 pnaaaaaaaa02");
      assertThat(got.stream().filter(r -> r.chat().equals("bob")).map(Reply::text))
          .containsExactly("codes: pnbbbbbbbb01");
      assertThat(store.loadSession(new SessionKey("api:u:alice")).state())
          .containsEntry(ContextAgent.CODES_KEY, "pnaaaaaaaa01 pnaaaaaaaa02");
    }
  }

  @Test
  void aSessionKeepsAtMostMaxCodes() throws Exception {
    Replies replies = new Replies();
    try (Baton baton = Baton.builder().scheduler(new ManualScheduler()).replies(replies)
        .agent(new ContextAgent()).build()) {
      StringBuilder many = new StringBuilder();
      for (int i = 0; i < ContextAgent.MAX_CODES + 5; i++) many.append(String.format(" pn%010d", i));
      baton.submit(InboundMessage.of("api", "m", "carol", many.toString(), T0));
      String text = replies.await(1).getFirst().text();
      assertThat(text.split(" ")).hasSize(ContextAgent.MAX_CODES + 1).contains("pn0000000005")
          .doesNotContain("pn0000000004");
    }
  }
}
