package dev.baton.cli.demo;

import dev.baton.Agent;
import dev.baton.Turn;
import dev.baton.spi.tool.ToolCall;
import dev.baton.spi.tool.ToolResult;
import dev.baton.spi.tool.Tools;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/*
 * Overview: the tools scenario's agent. Each message says what to do:
 *   "work <id>"                      shared counter +1, ledger line, one side effect; each call retried
 *                                    (at once in parallel, and again afterwards) with the same idempotency key
 *   "lock-cycle <pair> <first> <second>"  demo.swap: lock first, meet the partner, lock second
 *   "ask-cycle <pair> <target>"      meet the partner (both turns running), then ask the partner's session
 * It replies with the codes of its calls, which the scenario reads.
 *
 * Concurrency: stateless apart from the meeting latches (a ConcurrentHashMap of latches, one per pair).
 */
final class ToolsAgent implements Agent {
  static final long MEET_TIMEOUT_MS = 10_000;

  private final DemoAskRouter router;
  private final Map<String, CountDownLatch> meetings = new ConcurrentHashMap<>();

  ToolsAgent(DemoAskRouter router) {
    this.router = router;
  }

  /** Both turns of a pair are running once this returns (bounded). */
  boolean meet(String pair) throws InterruptedException {
    CountDownLatch l = meetings.computeIfAbsent(pair, k -> new CountDownLatch(2));
    l.countDown();
    return l.await(MEET_TIMEOUT_MS, TimeUnit.MILLISECONDS);
  }

  @Override
  public void onTurn(Turn turn) throws Exception {
    router.turnStarts(turn.context());
    try {
      String[] w = turn.messages().getLast().text().split(" ");
      Tools tools = turn.tools();
      String out = switch (w[0]) {
        case "work" -> work(tools, w[1]);
        case "lock-cycle" -> code(tools.call(ToolCall.of("demo.swap",
            "{\"pair\":\"" + w[1] + "\",\"first\":\"" + w[2] + "\",\"second\":\"" + w[3] + "\"}")));
        case "ask-cycle" -> meet(w[1])
            ? code(tools.call(ToolCall.of("ask", "{\"to\":\"" + w[2] + "\",\"question\":\"are you there?\"}")))
            : "no_meeting";
        default -> "unknown_command";
      };
      turn.reply(out);
    } finally {
      router.turnEnds(turn.context());
    }
  }

  private static String work(Tools tools, String id) throws InterruptedException {
    ToolCall count = keyed("shared.counter.add", "{\"name\":\"demo-visits\",\"delta\":1}", "count-" + id);
    ToolCall line = keyed("shared.ledger.append", "{\"ledger\":\"demo\",\"entry\":\"" + id + "\"}", "ledger-" + id);
    ToolCall effect = keyed("demo.effect", "{\"id\":\"" + id + "\"}", "effect-" + id);
    StringBuilder codes = new StringBuilder();
    // Each call twice at once (a retry racing the first), then once more (a retry after the answer).
    for (ToolResult r : tools.callAll(List.of(count, count, line, line, effect, effect))) codes.append(code(r)).append(' ');
    for (ToolCall c : List.of(count, line, effect)) codes.append(code(tools.call(c))).append(' ');
    return codes.toString().trim();
  }

  private static ToolCall keyed(String tool, String args, String key) {
    return new ToolCall(tool, args, Optional.of(key));
  }

  static String code(ToolResult r) {
    return r instanceof ToolResult.Failed f ? f.code() : "ok";
  }
}
