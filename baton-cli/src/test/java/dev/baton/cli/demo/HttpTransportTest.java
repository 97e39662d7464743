package dev.baton.cli.demo;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.Reply;
import dev.baton.SessionKey;
import java.util.Map;
import java.util.OptionalLong;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The demo over real HTTP on loopback: a gateway started in process, JWT-signed POSTs, long-polled replies.
 * A clean run keeps every promise; faults planted on the reply path (a reply also delivered into another
 * user's inbox; replies losing their turn on the wire) and unexpected statuses are caught.
 */
class HttpTransportTest {

  private static DemoOptions overHttp(long seed) throws Exception {
    return new DemoOptions(20, 10, seed, 1, DemoCommand.demoConfig(), DemoOptions.Transport.HTTP,
        DemoOptions.DemoStore.MEMORY);
  }

  @Test
  void smallRunOverHttpKeepsEveryPromise() throws Exception {
    DemoReport r = new SessionsScenario().run(overHttp(11), Progress.none());
    assertThat(r.promises()).containsOnlyKeys("P1", "P2", "P3", "P4", "P7", "P9", "HTTP");
    assertThat(r.promises()).allSatisfy((name, p) -> {
      assertThat(p.violations()).as(name + ": " + p.examples()).isZero();
      assertThat(p.checked()).as(name).isPositive();
    });
    assertThat(r.passed()).isTrue();
    assertThat(r.transport()).isEqualTo("http");
    assertThat(r.messages()).containsEntry("sent", 200L).containsEntry("unresolved", 0L)
        .containsEntry("duplicates_admitted", 0L);
    assertThat(r.messages().get("deliveries")).isGreaterThan(200L); // duplicates went over the wire too
    @SuppressWarnings("unchecked")
    Map<String, Long> statuses = (Map<String, Long>) r.http().get("statuses");
    assertThat(statuses.get("POST 202")).isEqualTo(r.messages().get("accepted"));
    assertThat(statuses).containsKey("GET 200").doesNotContainKeys("POST failed", "GET failed");
    assertThat(statuses.keySet()).allMatch(k -> k.matches("POST (202|200|429|409)|GET 200"));
    assertThat((long) r.http().get("replies_received")).isGreaterThanOrEqualTo(r.messages().get("processed"));
    assertThat(r.http()).containsKey("post_latency_ms");
    assertThat(r.engineCounters()).containsKey("baton.gateway.admissions");
  }

  /** 1,000 users over HTTP (1,000 long polls open at once), 20,000 messages (./run-tests -Pslow). */
  @Tag("slow")
  @Test
  void thousandUsersOverHttpKeepEveryPromise() throws Exception {
    DemoReport r = new SessionsScenario().run(new DemoOptions(1_000, 20, System.nanoTime(), 1,
        DemoCommand.demoConfig(), DemoOptions.Transport.HTTP, DemoOptions.DemoStore.MEMORY), Progress.none());
    assertThat(r.promises()).allSatisfy((name, p) ->
        assertThat(p.violations()).as(name + " (seed " + r.seed() + "): " + p.examples()).isZero());
    assertThat(r.passed()).isTrue();
    assertThat(r.messages()).containsEntry("sent", 20_000L).containsEntry("unresolved", 0L);
  }

  /** A gateway bug: u1's replies are also put in u2's inbox. u2's poll shows them, and P1 says so. */
  @Test
  void aReplyInAnotherUsersPollIsCaught() throws Exception {
    SessionsScenario leaky = new SessionsScenario(SessionsScenario::agentFor, true, router -> reply -> {
      router.onReply(reply);
      if (reply.routing().getOrDefault("user", "").equals("u1")) {
        router.onReply(new Reply(reply.session(), reply.outboxSeq(), reply.channel(), reply.chat(),
            reply.inReplyTo(), reply.kind(), reply.text(), reply.turn(), Map.of("user", "u2")));
      }
    });
    DemoReport r = leaky.run(overHttp(12), Progress.none());
    assertThat(r.passed()).isFalse();
    assertThat(r.promises().get("P1").violations()).isPositive();
    assertThat(r.promises().get("P1").examples()).anyMatch(e -> e.contains("u1-") && e.contains("the poll of u2"));
    assertThat(r.promises().get("P4").violations()).as("u1 still got its own replies").isZero();
  }

  /** Replies that lose their turn number on the way out: the HTTP check requires it of the echo agent. */
  @Test
  void aReplyWithoutItsTurnIsCaught() throws Exception {
    SessionsScenario turnless = new SessionsScenario(SessionsScenario::agentFor, true, router -> reply ->
        router.onReply(new Reply(reply.session(), reply.outboxSeq(), reply.channel(), reply.chat(),
            reply.inReplyTo(), reply.kind(), reply.text(), OptionalLong.empty(), reply.routing())));
    DemoReport r = turnless.run(overHttp(13), Progress.none());
    assertThat(r.passed()).isFalse();
    assertThat(r.promises().get("HTTP").violations()).isPositive();
    assertThat(r.promises().get("HTTP").examples()).allMatch(e -> e.contains("carried no turn"));
  }

  /** Any status but 202/200/429/409 (or an answer that contradicts its status) is an HTTP violation. */
  @Test
  void unexpectedStatusesAndFailedPollsAreCounted() {
    PromiseChecker c = new PromiseChecker(1, 4, dev.baton.IdSource.USER_ID, false, "api", true);
    for (long s = 0; s < 6; s++) c.planned("u1", s);
    c.deliveredOverHttp("u1-0", 202, "accepted", "u1-0", 1, 2);
    c.deliveredOverHttp("u1-0", 200, "duplicate", "u1-0", 3, 4);
    c.deliveredOverHttp("u1-1", 429, "busy", "u1-1", 5, 6);
    assertThat(c.http.violations()).isZero();
    c.deliveredOverHttp("u1-2", 500, "internal error", "", 7, 8);
    c.deliveredOverHttp("u1-3", 400, "field 'text' is required", "", 9, 10);
    c.deliveredOverHttp("u1-4", 202, "duplicate", "u1-4", 11, 12); // body contradicts the status
    c.deliveredOverHttp("u1-5", 202, "accepted", "u1-9", 13, 14); // the answer names another message
    c.httpFailed("GET /v1/replies of u1 was answered 503");
    assertThat(c.http.violations()).isEqualTo(5);
    assertThat(c.http.examples()).anyMatch(e -> e.contains("u1-2") && e.contains("500"));
    assertThat(c.tracked("u1-2").settled).as("the sender moves on").isDone();
    assertThat(c.tracked("u1-4").accepts.get()).as("a contradicted 202 is not taken as accepted").isZero();
    assertThat(c.tallies()).extracting(t -> t.promise).contains("HTTP");
    assertThat(c.counts()).containsEntry("accepted", 1L);
  }

  /** Over HTTP a reply can reach the poll before the 202 reaches the sender; the message still settles. */
  @Test
  void aReplyBeforeItsAcceptanceStillSettles() throws Exception {
    PromiseChecker c = new PromiseChecker(1, 4, dev.baton.IdSource.USER_ID, false, "api", true);
    c.planned("u1", 0);
    SessionKey s = DemoMessages.session("api", "u1", dev.baton.IdSource.USER_ID);
    c.replied(new Reply(s, 1, "api", "u1", "u1-0", Reply.Kind.REPLY, "echo " + DemoMessages.text("u1", 0),
        OptionalLong.of(1), Map.of()));
    c.deliveredOverHttp("u1-0", 202, "accepted", "u1-0", 1, 2);
    assertThat(c.awaitSettled(0)).isTrue();
    c.finish();
    assertThat(c.p4.violations()).isZero();
    assertThat(c.p1.violations()).isZero();
  }
}
