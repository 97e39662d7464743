package dev.baton.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.baton.Baton;
import dev.baton.InboundMessage;
import dev.baton.Reply;
import dev.baton.SessionKey;
import dev.baton.SessionState;
import dev.baton.Transcript;
import dev.baton.Turn;
import dev.baton.internal.store.MemoryStore;
import dev.baton.testing.ManualScheduler;
import dev.baton.spi.tool.Tools;
import java.lang.reflect.Method;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** P1: a turn reaches only its own session's state, even while another session's turn interleaves with it. */
class IsolationTest {

  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  @Test
  void interleavedTurnsOfTwoSessionsSeeAndWriteOnlyTheirOwnState() throws Exception {
    Replies replies = new Replies();
    MemoryStore store = new MemoryStore();
    CyclicBarrier together = new CyclicBarrier(2);
    ConcurrentHashMap<String, List<String>> seen = new ConcurrentHashMap<>();
    try (Baton baton = Baton.builder().scheduler(new ManualScheduler()).store(store).replies(replies)
        .agent(turn -> {
          String me = turn.messages().getFirst().sender();
          // Both sessions' turns are inside the agent at once, three times over, interleaving every step.
          for (int round = 0; round < 3; round++) {
            together.await(Replies.WAIT.toSeconds(), TimeUnit.SECONDS);
            List<String> keys = new ArrayList<>(turn.state().keys());
            seen.computeIfAbsent(me, k -> new ArrayList<>()).add(String.join(",", keys) + "|"
                + turn.state().get("owner").orElse("-") + "|" + turn.transcript().entries().size());
            turn.state().put("owner", me);
            turn.state().put("secret." + me, "mine-" + round);
            turn.transcript().append(Transcript.Role.USER, me + " says " + round);
            together.await(Replies.WAIT.toSeconds(), TimeUnit.SECONDS);
          }
          turn.reply("done " + me);
        }).build()) {
      baton.submit(InboundMessage.of("api", "a1", "alice", "x", T0));
      baton.submit(InboundMessage.of("api", "b1", "bob", "y", T0));
      List<Reply> got = replies.await(2);
      assertThat(got).extracting(Reply::text).containsExactlyInAnyOrder("done alice", "done bob");
      for (Reply r : got) assertThat(r.text()).endsWith(r.session().value().substring("api:u:".length()));

      // Inside its turn each agent saw only its own writes, never the other session's keys.
      assertThat(seen.get("alice")).containsExactly("|-|0", "owner,secret.alice|alice|1",
          "owner,secret.alice|alice|2");
      assertThat(seen.get("bob")).containsExactly("|-|0", "owner,secret.bob|bob|1", "owner,secret.bob|bob|2");

      var alice = store.loadSession(new SessionKey("api:u:alice"));
      var bob = store.loadSession(new SessionKey("api:u:bob"));
      assertThat(alice.state()).containsEntry("owner", "alice").containsKey("secret.alice")
          .doesNotContainKey("secret.bob");
      assertThat(bob.state()).containsEntry("owner", "bob").containsKey("secret.bob")
          .doesNotContainKey("secret.alice");
      assertThat(alice.transcript()).extracting(Transcript.Entry::text).allMatch(t -> t.startsWith("alice"));
      assertThat(bob.transcript()).extracting(Transcript.Entry::text).allMatch(t -> t.startsWith("bob"));
    }
  }

  @Test
  void noMethodReachableFromAgentCodeTakesASessionId() {
    for (Class<?> c : List.of(Turn.class, SessionState.class, Transcript.class, Tools.class)) {
      for (Method m : c.getMethods()) {
        assertThat(m.getParameterTypes()).as(c.getSimpleName() + "." + m.getName())
            .doesNotContain(SessionKey.class);
      }
    }
  }

  @Test
  void aTurnThatIsOverCannotChangeAnything() throws Exception {
    Replies replies = new Replies();
    Turn[] kept = new Turn[1];
    try (Baton baton = Baton.builder().scheduler(new ManualScheduler()).replies(replies).agent(turn -> {
      kept[0] = turn;
      turn.reply("hi");
    }).build()) {
      baton.submit(InboundMessage.of("api", "a1", "alice", "x", T0));
      replies.await(1);
      assertThatThrownBy(() -> kept[0].state().put("k", "v")).isInstanceOf(IllegalStateException.class);
      assertThatThrownBy(() -> kept[0].reply("late")).isInstanceOf(IllegalStateException.class);
      assertThatThrownBy(() -> kept[0].transcript().append(Transcript.Role.USER, "x"))
          .isInstanceOf(IllegalStateException.class);
    }
  }

  @Test
  void engineKeysAreHiddenFromAgents() throws Exception {
    Replies replies = new Replies();
    try (Baton baton = Baton.builder().scheduler(new ManualScheduler()).replies(replies).agent(turn -> {
      try {
        turn.state().put("baton.order.next_seq", "99");
        turn.reply("wrote");
      } catch (IllegalArgumentException e) {
        turn.reply("refused; sees " + turn.state().get("baton.order.next_seq").orElse("nothing"));
      }
    }).build()) {
      baton.submit(InboundMessage.of("api", "a1", "alice", "x", T0).withOrder(dev.baton.OrderKey.sequence(0)));
      assertThat(replies.await(1).getFirst().text()).isEqualTo("refused; sees nothing");
    }
  }

  @Test
  void compareAndSetComparesAgainstWhatTheTurnSees() throws Exception {
    Replies replies = new Replies();
    try (Baton baton = Baton.builder().scheduler(new ManualScheduler()).replies(replies).agent(turn -> {
      SessionState s = turn.state();
      boolean a = s.compareAndSet("k", Optional.empty(), "1");
      boolean b = s.compareAndSet("k", Optional.empty(), "2");
      boolean c = s.compareAndSet("k", Optional.of("1"), "3");
      turn.reply(a + " " + b + " " + c + " " + s.get("k").orElseThrow());
    }).build()) {
      baton.submit(InboundMessage.of("api", "a1", "alice", "x", T0));
      assertThat(replies.await(1).getFirst().text()).isEqualTo("true false true 3");
    }
  }
}
