package dev.baton.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.Baton;
import dev.baton.EngineSnapshot;
import dev.baton.InboundMessage;
import dev.baton.SessionKey;
import dev.baton.config.SessionsConfig;
import dev.baton.config.SessionsConfig.ClassRule;
import dev.baton.config.SessionsConfig.SessionClass;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Session classes through the engine: a verified claim (routing {@code baton.class}) or a class rule decides a
 * session's class at its first message, an unknown claim is {@code standard}, a later message cannot raise it,
 * and under load the heavy class is served first by its weight.
 */
class SessionClassesEngineTest extends GatedEngineFixture {

  private final Cfg cfg = new Cfg();

  SessionClassesEngineTest() {
    cfg.maxTotal = 1;
    cfg.then = c -> c.withSessions(c.sessions().withClasses(Map.of("gold", new SessionClass(3)), "tier",
        List.of(new ClassRule("telegram", "vip-*", "gold"))));
  }

  private static InboundMessage api(String id, String user, String text, String claim) {
    InboundMessage m = InboundMessage.of("api", id, user, text, T0);
    return claim.isEmpty() ? m : m.withRouting(Map.of(InboundMessage.ROUTE_CLASS, claim));
  }

  private static String classOf(Baton baton, String session) {
    return baton.snapshot().sessions().stream().filter(v -> v.session().equals(new SessionKey(session)))
        .map(EngineSnapshot.SessionView::sessionClass).findFirst().orElseThrow();
  }

  @Test
  void theClaimOrTheRuleDecidesAndAnUnknownClaimIsStandard() throws Exception {
    try (Baton baton = start(cfg)) {
      baton.submit(api("w", "runner", "wait", ""));
      agent.awaitEntered(1); // the only permit is held: everyone else queues
      baton.submit(api("a1", "alice", "hi", "gold"));
      baton.submit(api("b1", "bob", "hi", "platinum")); // names no class: standard, not an error
      baton.submit(InboundMessage.of("telegram", "t1", "vip-7", "hi", T0));
      baton.submit(InboundMessage.of("telegram", "t2", "joe", "hi", T0));
      baton.submit(InboundMessage.of("slack", "s1", "vip-8", "hi", T0)); // the rule is telegram's only
      assertThat(classOf(baton, "api:u:alice")).isEqualTo("gold");
      assertThat(classOf(baton, "api:u:bob")).isEqualTo("standard");
      assertThat(classOf(baton, "telegram:u:vip-7")).isEqualTo("gold");
      assertThat(classOf(baton, "telegram:u:joe")).isEqualTo("standard");
      assertThat(classOf(baton, "slack:u:vip-8")).isEqualTo("standard");
      agent.open();
      replies.await(6);
    }
  }

  @Test
  void aLaterMessageCannotRaiseARunningSessionsClass() throws Exception {
    try (Baton baton = start(cfg)) {
      baton.submit(api("w", "runner", "wait", ""));
      agent.awaitEntered(1);
      baton.submit(api("e1", "eve", "hi", "")); // no claim: standard
      baton.submit(api("e2", "eve", "hi", "gold")); // a later message says gold: ignored while the session lives
      baton.submit(api("e3", "eve", "hi", "gold"));
      assertThat(classOf(baton, "api:u:eve")).isEqualTo("standard");
      agent.open();
      replies.await(4);
      assertThat(meters.counter("baton.dispatch.grants", "class", "gold").count()).isZero();
      assertThat(meters.counter("baton.dispatch.grants", "class", "standard").count()).isEqualTo(4);
    }
  }

  @Test
  void underLoadTheGoldClassTakesThreeOfEveryFourPermits() throws Exception {
    try (Baton baton = start(cfg)) {
      baton.submit(api("w", "runner", "wait", ""));
      agent.awaitEntered(1);
      for (int i = 0; i < 20; i++) baton.submit(api("s" + i, "std" + i, "std", "")); // standard arrived first
      for (int i = 0; i < 20; i++) baton.submit(api("g" + i, "gold" + i, "gold", "gold"));
      assertThat(meters.get("baton.dispatch.waiting").tag("class", "gold").gauge().value()).isEqualTo(20);
      agent.open();
      replies.await(41);
      List<String> order = agent.turns.stream().skip(1).map(List::getLast).toList();
      assertThat(order.subList(0, 16)).as("the first 16 turns after the runner, in grant order")
          .filteredOn("gold"::equals).hasSize(12);
      assertThat(order.subList(0, 4)).contains("std"); // and standard is not starved meanwhile
    }
  }

  /** The queue-timeout sweep walks every class's line: a gold and a standard message waiting for a permit expire on time. */
  @Test
  void messagesWaitingForAPermitExpireOnTimeInEveryClass() throws Exception {
    try (Baton baton = start(cfg)) {
      baton.submit(api("w", "runner", "wait", ""));
      agent.awaitEntered(1);
      baton.submit(api("g1", "goldie", "hi", "gold"));
      baton.submit(api("s1", "stan", "hi", ""));
      clock.advance(java.time.Duration.ofMillis(cfg.queueTimeoutMs - 1));
      assertThat(meters.counter("baton.messages.expired").count()).isZero();
      clock.advance(java.time.Duration.ofMillis(1));
      replies.await(2);
      assertThat(replies.texts()).containsOnly(Engine.EXPIRED_TEXT);
      assertThat(meters.counter("baton.messages.expired").count()).isEqualTo(2);
      agent.open();
      replies.await(3);
    }
  }
}
