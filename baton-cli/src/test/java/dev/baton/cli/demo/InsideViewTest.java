package dev.baton.cli.demo;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.Agent;
import dev.baton.BatonContext;
import dev.baton.IdSource;
import dev.baton.InboundMessage;
import dev.baton.SessionKey;
import dev.baton.SessionState;
import dev.baton.Transcript;
import dev.baton.Turn;
import dev.baton.TurnContext;
import dev.baton.spi.tool.Tools;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

/**
 * What only the inside of a turn shows, judged by {@link InsideView}: turns beside each other above the limits
 * (P3, on real threads), a context that is not the turn's (P7), another user's data in a session (P1), a message
 * run twice (P2). Each planted fault is caught; the clean turns are not flagged.
 */
class InsideViewTest {

  private static final Agent NOTHING = turn -> {};

  /** Who sent each nonce these tests use, as the probe's plan would say. */
  private static final Map<String, String> OWNERS = Map.of("pn0000000001", "u1", "pn0000000002", "u1",
      "pn0000000003", "u2", "pn00000000u1", "u1", "pn00000001u1", "u1", "pn00000000u2", "u2");

  private static InsideView view(Agent delegate, int maxPerSession, int maxTotal, boolean reruns) {
    return new InsideView(delegate, maxPerSession, maxTotal, reruns, "demo", IdSource.USER_ID, OWNERS,
        u -> Duration.ZERO);
  }

  private static SessionKey session(String user) {
    return SessionKey.derive(InboundMessage.of("demo", "x", user, "", Instant.EPOCH), IdSource.USER_ID);
  }

  /** A turn of {@code user} with the given messages (id, nonce), state and transcript. */
  private static FakeTurn turn(String user, Map<String, String> state, List<String> transcript, String... idNonce) {
    List<Turn.Message> ms = new ArrayList<>();
    for (int i = 0; i < idNonce.length; i += 2) {
      ms.add(new Turn.Message(idNonce[i], user, "probe " + idNonce[i + 1] + ": remember", Instant.now()));
    }
    TurnContext ctx = new TurnContext(session(user), user, ms.stream().map(Turn.Message::id).toList(), "t", 1,
        Instant.now().plusSeconds(10));
    return new FakeTurn(ctx, ms, state, transcript);
  }

  /** Runs the turn as the engine does: the context bound as a scoped value, the MDC set. */
  private static Object call(InsideView v, FakeTurn t) throws Exception {
    return java.lang.ScopedValue.where(BatonContext.CURRENT, t.ctx).call(() -> {
      MDC.put("baton.session", t.ctx.session().value());
      try {
        v.onTurn(t);
      } finally {
        MDC.remove("baton.session");
      }
      return null;
    });
  }

  @Test
  void cleanTurnsAreCheckedAndNotFlagged() throws Exception {
    InsideView v = view(NOTHING, 1, 4, false);
    Map<String, String> state = new ConcurrentHashMap<>();
    call(v, turn("u1", state, List.of(), "u1-0", "pn0000000001"));
    call(v, turn("u1", state, List.of("probe pn0000000001: remember"), "u1-1", "pn0000000002"));
    call(v, turn("u2", new ConcurrentHashMap<>(), List.of(), "u2-0", "pn0000000003"));
    for (Tally t : v.tallies()) {
      assertThat(t.violations()).as(t.promise + ": " + t.examples()).isZero();
      assertThat(t.checked()).as(t.promise).isPositive();
    }
    assertThat(v.processed()).isEqualTo(3);
    assertThat(state).containsEntry(InsideView.OWNER_KEY, "u1");
    assertThat(v.queueWaitsNanos()).hasSize(3);
  }

  @Test
  void twoTurnsOfOneSessionAtOnceAreAP3Violation() throws Exception {
    CyclicBarrier bothInside = new CyclicBarrier(2);
    InsideView v = view(turn -> bothInside.await(10, TimeUnit.SECONDS), 1, 4, false);
    Map<String, String> state = new ConcurrentHashMap<>();
    Thread other = Thread.ofVirtual().start(() -> {
      try {
        call(v, turn("u1", state, List.of(), "u1-1", "pn0000000002"));
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    call(v, turn("u1", state, List.of(), "u1-0", "pn0000000001"));
    other.join();
    assertThat(v.p3.violations()).isEqualTo(1);
    assertThat(v.p3.examples()).anyMatch(e -> e.contains("above max_concurrent_per_session 1"));
    assertThat(v.peakSessionRunning()).isEqualTo(2);
  }

  @Test
  void moreTurnsThanTheTotalAtOnceAreAP3Violation() throws Exception {
    CyclicBarrier allInside = new CyclicBarrier(3);
    InsideView v = view(turn -> allInside.await(10, TimeUnit.SECONDS), 1, 2, false);
    List<Thread> ts = new ArrayList<>();
    for (String u : List.of("u1", "u2", "u3")) {
      ts.add(Thread.ofVirtual().start(() -> {
        try {
          call(v, turn(u, new ConcurrentHashMap<>(), List.of(), u + "-0", "pn00000000" + u.substring(1) + "0"));
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      }));
    }
    for (Thread t : ts) t.join();
    assertThat(v.p3.violations()).isEqualTo(1);
    assertThat(v.p3.examples()).anyMatch(e -> e.contains("above max_concurrent_total 2"));
  }

  @Test
  void aTurnWithoutItsContextBoundIsAP7Violation() throws Exception {
    InsideView v = view(NOTHING, 1, 4, false);
    v.onTurn(turn("u1", new ConcurrentHashMap<>(), List.of(), "u1-0", "pn0000000001")); // nothing bound, no MDC
    assertThat(v.p7.violations()).isEqualTo(2);
    assertThat(v.p7.examples()).anyMatch(e -> e.contains("unbound")).anyMatch(e -> e.contains("MDC"));
  }

  @Test
  void anotherUsersNonceInTheTranscriptOrStateIsAP1Violation() throws Exception {
    InsideView v = view(NOTHING, 1, 4, false);
    // u2's message never reached a turn here: the plan alone says whose nonce it is
    call(v, turn("u1", new ConcurrentHashMap<>(), List.of("probe pn00000000u2: remember"), "u1-0", "pn00000000u1"));
    assertThat(v.p1.violations()).isEqualTo(1);
    assertThat(v.p1.examples()).anyMatch(e -> e.contains("transcript of") && e.contains("pn00000000u2"));
    Map<String, String> foreign = new ConcurrentHashMap<>(Map.of(InsideView.OWNER_KEY, "u2"));
    call(v, turn("u1", foreign, List.of(), "u1-1", "pn00000001u1"));
    assertThat(v.p1.violations()).isEqualTo(2);
    assertThat(v.p1.examples()).anyMatch(e -> e.contains("belonged to u2"));
  }

  /** A message whose text holds another user's nonce reaches this user's turn (the engine mixed two messages). */
  @Test
  void anotherUsersNonceInATurnsMessageIsAP1Violation() throws Exception {
    InsideView v = view(NOTHING, 1, 4, false);
    call(v, turn("u1", new ConcurrentHashMap<>(), List.of(), "u1-0", "pn00000000u2"));
    assertThat(v.p1.violations()).isEqualTo(1);
    assertThat(v.p1.examples()).anyMatch(e -> e.contains("turn of u1 got message u1-0"));
  }

  /** In process the demo also checks the reply path: a reply committed to another chat's session. */
  @Test
  void aReplyCommittedToAnotherSessionIsAP1Violation() {
    InsideView v = view(NOTHING, 1, 4, false);
    v.checkReply(new dev.baton.Reply(session("u1"), 1, "demo", "u1", "u1-0", dev.baton.Reply.Kind.REPLY, "ok",
        java.util.OptionalLong.empty(), Map.of()));
    assertThat(v.p1.violations()).isZero();
    v.checkReply(new dev.baton.Reply(session("u2"), 2, "demo", "u1", "u1-1", dev.baton.Reply.Kind.REPLY, "ok",
        java.util.OptionalLong.empty(), Map.of()));
    assertThat(v.p1.violations()).isEqualTo(1);
    assertThat(v.p1.examples()).anyMatch(e -> e.contains("for chat u1 was committed to session"));
  }

  @Test
  void aMessageRunTwiceIsAP2ViolationUnlessReRunsAreAllowed() throws Exception {
    InsideView once = view(NOTHING, 1, 4, false);
    call(once, turn("u1", new ConcurrentHashMap<>(), List.of(), "u1-0", "pn0000000001"));
    call(once, turn("u1", new ConcurrentHashMap<>(), List.of(), "u1-0", "pn0000000001"));
    assertThat(once.p2.violations()).isEqualTo(1);
    assertThat(once.p2.examples()).containsExactly("u1-0 was processed 2 times");
    assertThat(once.extraRuns()).isEqualTo(1);

    InsideView reruns = view(NOTHING, 2, 4, true);
    call(reruns, turn("u1", new ConcurrentHashMap<>(), List.of(), "u1-0", "pn0000000001"));
    call(reruns, turn("u1", new ConcurrentHashMap<>(), List.of(), "u1-0", "pn0000000001"));
    assertThat(reruns.p2.violations()).isZero();
    assertThat(reruns.reruns()).isEqualTo(1);
  }

  /** The smallest Turn: messages, a map as session state, a list as transcript; no tools. */
  static final class FakeTurn implements Turn, SessionState, Transcript {
    final TurnContext ctx;
    private final List<Message> messages;
    private final Map<String, String> state;
    private final List<Entry> transcript = new ArrayList<>();

    FakeTurn(TurnContext ctx, List<Message> messages, Map<String, String> state, List<String> userTexts) {
      this.ctx = ctx;
      this.messages = messages;
      this.state = state;
      for (String t : userTexts) transcript.add(new Entry(Role.USER, t, Instant.EPOCH));
    }

    @Override public List<Message> messages() { return messages; }
    @Override public SessionState state() { return this; }
    @Override public Transcript transcript() { return this; }
    @Override public Tools tools() { throw new UnsupportedOperationException("no tools in this test"); }
    @Override public TurnContext context() { return ctx; }
    @Override public void reply(String text) {}
    @Override public void reply(String text, long turnNumber) {}
    @Override public Optional<String> get(String key) { return Optional.ofNullable(state.get(key)); }
    @Override public void put(String key, String value) { state.put(key, value); }
    @Override public void remove(String key) { state.remove(key); }
    @Override public boolean compareAndSet(String key, Optional<String> expected, String newValue) {
      throw new UnsupportedOperationException();
    }
    @Override public Set<String> keys() { return state.keySet(); }
    @Override public List<Entry> entries() { return List.copyOf(transcript); }
    @Override public void append(Role role, String text) { transcript.add(new Entry(role, text, Instant.EPOCH)); }
  }
}
