package dev.baton.cli.demo;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.Reply;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The demo over real HTTP on loopback: a gateway started in process, JWT-signed POSTs, long-polled replies.
 * A clean run keeps every promise; faults planted on the reply path (a reply also delivered into another
 * user's inbox, a reply lost, a reply delivered twice) are caught by the probe's checks under their promises.
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
    assertThat(r.probe().target()).startsWith("http://127.0.0.1:");
    assertThat(r.messages()).containsEntry("sent", 200L).containsEntry("duplicates_processed", 0L);
    assertThat(r.messages().get("deliveries")).isGreaterThan(200L); // redeliveries went over the wire too
    @SuppressWarnings("unchecked")
    Map<String, Long> statuses = (Map<String, Long>) r.http().get("statuses");
    assertThat(statuses.get("202")).isEqualTo(r.messages().get("accepted"));
    assertThat(statuses.keySet()).allMatch(k -> k.matches("202|200|429|409"));
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
    assertThat(r.messages()).containsEntry("sent", 20_000L).containsEntry("duplicates_processed", 0L);
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
    DemoReport r = leaky.run(SessionsScenarioTest.failingFast(overHttp(12)), Progress.none());
    assertThat(r.passed()).isFalse();
    assertThat(r.promises().get("P1").violations()).isPositive();
    assertThat(r.promises().get("P1").examples()).anyMatch(e -> e.startsWith("interleaving: u1-") && e.contains("u2"));
    assertThat(r.promises().get("P4").violations()).as("u1 still got its own replies").isZero();
  }

  /** Replies lost on the way out (a delivery bug): each of u3's messages is stuck, and P4 says so. */
  @Test
  void aLostReplyIsCaughtAsStuck() throws Exception {
    SessionsScenario lossy = new SessionsScenario(SessionsScenario::agentFor, true, router -> reply -> {
      if (!reply.routing().getOrDefault("user", "").equals("u3")) router.onReply(reply);
    });
    DemoReport r = lossy.run(SessionsScenarioTest.failingFast(overHttp(13)), Progress.none());
    assertThat(r.passed()).isFalse();
    assertThat(r.promises().get("P4").violations()).isPositive();
    assertThat(r.promises().get("P4").examples()).allMatch(e -> e.contains("deadlock: u3-"));
    assertThat(r.promises().get("P1").violations()).isZero();
  }

  /**
   * A bug on the reply path: each reply of u2 is committed twice, as two replies (two outbox positions, two ids:
   * what a turn run twice produces). The probe's duplicates check puts it under P2. (One reply delivered twice
   * under its stable id is a redelivery the client drops by that id: docs/http-api.md.)
   */
  @Test
  void aReplyDeliveredTwiceIsAP2Violation() throws Exception {
    SessionsScenario twice = new SessionsScenario(SessionsScenario::agentFor, true, router -> reply -> {
      router.onReply(reply);
      if (reply.routing().getOrDefault("user", "").equals("u2") && reply.kind() == Reply.Kind.REPLY) {
        router.onReply(reply.withOutboxSeq(reply.outboxSeq() + 1_000_000));
      }
    });
    DemoReport r = twice.run(SessionsScenarioTest.failingFast(overHttp(14)), Progress.none());
    assertThat(r.passed()).isFalse();
    assertThat(r.promises().get("P2").violations()).isPositive();
    assertThat(r.promises().get("P2").examples()).anyMatch(e -> e.startsWith("duplicates: u2-"));
  }
}
