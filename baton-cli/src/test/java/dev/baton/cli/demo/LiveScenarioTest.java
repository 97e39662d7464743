package dev.baton.cli.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The live demo (P10) end to end against the real in-memory engine and tool runtime: it passes with real checks,
 * and each check fails when the link it watches is broken on purpose (a planted {@link LiveScenario.Fault}).
 */
class LiveScenarioTest {

  static DemoReport run(LiveScenario.Fault... faults) throws Exception {
    return new LiveScenario(Set.of(faults)).run(new DemoOptions(12, 2, 1, 0, DemoCommand.demoConfig()),
        Progress.none());
  }

  @SuppressWarnings("unchecked")
  static Map<String, Long> check(DemoReport r, String name) {
    return ((Map<String, Map<String, Long>>) r.load().get("checks")).get(name);
  }

  @Test
  @SuppressWarnings("unchecked")
  void streamsSteeringAndCancelsKeepP10() throws Exception {
    DemoReport r = run();
    assertThat(r.promises()).containsOnlyKeys("P10");
    DemoReport.PromiseResult p10 = r.promises().get("P10");
    assertThat(p10.violations()).as(p10.examples().toString()).isZero();
    assertThat(r.passed()).isTrue();
    for (String c : new String[] {"deltas_build_reply", "steered_once", "cancel_within_limit", "cancel_frees_locks",
        "edit_rate_and_final_text", "sse_deltas_and_covers"}) {
      assertThat(check(r, c).get("checked")).as(c).isPositive();
    }
    assertThat(r.messages()).containsEntry("unanswered", 0L);
    assertThat((Long) r.load().get("streamed_replies")).isPositive();
    assertThat((Long) r.load().get("deltas")).isGreaterThan((Long) r.load().get("streamed_replies"));
    assertThat((Long) r.load().get("steered_into_running_turn")).isPositive();
    assertThat((Long) r.load().get("locks_probed")).isPositive();
    assertThat((Map<String, Long>) r.load().get("cancels")).containsKeys("api", "api_drop_queued", "stop_command",
        "http_post_cancel");
    Map<String, Object> platform = (Map<String, Object>) r.load().get("platform");
    assertThat((Long) platform.get("previews")).isPositive();
    assertThat((Long) platform.get("answered_429")).isPositive();
    assertThat((Long) platform.get("sse_deltas")).isGreaterThan((Long) platform.get("sse_replies"));
    assertThat((Long) platform.get("sse_replies")).isPositive();
  }

  @Test
  void aGatewayEditingTooOftenIsSeen() throws Exception {
    DemoReport r = run(LiveScenario.Fault.EDIT_TOO_OFTEN);
    assertThat(check(r, "edit_rate_and_final_text").get("violations")).isPositive();
    assertThat(r.promises().get("P10").examples()).anyMatch(e -> e.contains("got two previews"));
  }

  @Test
  void aLostDeltaIsSeen() throws Exception {
    DemoReport r = run(LiveScenario.Fault.DROP_DELTA);
    assertThat(r.passed()).isFalse();
    assertThat(check(r, "deltas_build_reply").get("violations")).isPositive();
    assertThat(r.promises().get("P10").examples()).anyMatch(e -> e.contains("delta at offset") || e.contains("its deltas built"));
    assertThat(check(r, "sse_deltas_and_covers").get("violations")).as("seen on the wire by the SSE users")
        .isPositive();
  }

  @Test
  void aReplyHandedOverTwiceIsSeen() throws Exception {
    DemoReport r = run(LiveScenario.Fault.DUPLICATE_REPLY);
    assertThat(check(r, "steered_once").get("violations")).isPositive();
    assertThat(r.promises().get("P10").examples()).anyMatch(e -> e.contains("answered in 2 turn(s), expected 1"));
  }

  @Test
  void anAgentThatIgnoresTheInterruptIsSeenPastTheLimit() throws Exception {
    DemoReport r = run(LiveScenario.Fault.AGENT_IGNORES_INTERRUPT);
    assertThat(check(r, "cancel_within_limit").get("violations")).isPositive();
    assertThat(r.promises().get("P10").examples()).anyMatch(e -> e.contains("ms after its cancel (limit 100 ms)"));
  }

  @Test
  void aToolThatKeepsItsLockPastTheCancelIsSeen() throws Exception {
    DemoReport r = run(LiveScenario.Fault.TOOL_IGNORES_INTERRUPT);
    assertThat(check(r, "cancel_frees_locks").get("violations")).isPositive();
    assertThat(r.promises().get("P10").examples()).anyMatch(e -> e.contains("was still held"));
  }
}
