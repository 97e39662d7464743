package dev.baton.cli.demo;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.Agent;
import dev.baton.ReplyStream;
import dev.baton.Turn;
import dev.baton.spi.tool.ToolCall;
import dev.baton.spi.tool.ToolResult;
import dev.baton.tools.Access;
import dev.baton.tools.Resource;
import dev.baton.tools.Tool;
import dev.baton.tools.ToolContext;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/*
 * Overview: the live scenario's scripted streaming agent (no network, no model). The first message of a turn
 * says what to do:
 *   "chat"                  ROUNDS "model rounds", each: take the steered messages (queue mode steer), then
 *                           stream DELTAS small deltas with a short pause between them
 *   "think"                 stream "thinking", then wait THINK_MS for a "model request" (a cancel must cut it)
 *   "long"                  LONG_ROUNDS rounds with LONG_PAUSE_MS between deltas (the platform leg: a stream long
 *                           enough for several throttled preview edits)
 *   "tool <resource> <ms>"  stream a line, call demo.hold (an exclusive baton-tools lock on <resource>, held
 *                           <ms> or until the call is interrupted), then one round of "chat"
 * Every reply is streamed through turn.openStream() and names what it answers, so a steered message shows in
 * the text as well as in Reply.covers. The pauses are interruptible parks (Thread.sleep): a cancel interrupts
 * them at once. The planted faults make the agent or its tool ignore that interrupt.
 *
 * Concurrency: stateless apart from the set of steered ids (concurrent); one onTurn per turn thread.
 */
final class LiveAgent implements Agent {
  static final int ROUNDS = 3;
  static final int DELTAS = 3;
  static final long DELTA_PAUSE_MS = 8;
  static final long THINK_MS = 1_500;
  static final int LONG_ROUNDS = 10;
  static final long LONG_PAUSE_MS = 30;

  private final Set<LiveScenario.Fault> faults;
  /** Ids the agent took with takeSteered (the report's figure; the check is on Reply.covers). */
  final Set<String> steered = ConcurrentHashMap.newKeySet();

  LiveAgent(Set<LiveScenario.Fault> faults) {
    this.faults = faults;
  }

  @Override
  public void onTurn(Turn turn) throws Exception {
    String[] w = turn.messages().getFirst().text().split(" ", -1);
    ReplyStream s = turn.openStream();
    s.append("re " + String.join(",", turn.messages().stream().map(Turn.Message::id).toList()) + ":");
    switch (w[0]) {
      case "think" -> {
        s.append(" thinking");
        pause(THINK_MS, faults.contains(LiveScenario.Fault.AGENT_IGNORES_INTERRUPT));
        s.append(" done");
      }
      case "tool" -> {
        s.append(" using " + w[1]);
        ToolResult r = turn.tools().call(ToolCall.of(Hold.NAME, "{\"resource\":\"" + w[1] + "\",\"ms\":" + w[2]
            + ",\"id\":\"" + turn.messages().getFirst().id() + "\"}"));
        if (Thread.currentThread().isInterrupted()) throw new InterruptedException("cancelled in a tool call");
        s.append(" -> " + ToolsAgent.code(r) + ";");
        rounds(turn, s, 1, DELTA_PAUSE_MS);
      }
      case "long" -> rounds(turn, s, LONG_ROUNDS, LONG_PAUSE_MS);
      default -> rounds(turn, s, ROUNDS, DELTA_PAUSE_MS);
    }
    s.finish();
  }

  private void rounds(Turn turn, ReplyStream s, int n, long pauseMs) throws InterruptedException {
    for (int round = 1; round <= n; round++) {
      List<Turn.Message> more = turn.takeSteered(); // between "model rounds", as the openai agent does
      for (Turn.Message m : more) {
        steered.add(m.id());
        s.append(" (+" + m.id() + ")");
      }
      for (int d = 1; d <= DELTAS; d++) {
        pause(pauseMs, false);
        s.append(" r" + round + "w" + d);
      }
    }
  }

  /** A bounded park; with {@code ignoreInterrupt} (a planted fault) it keeps waiting through a cancel. */
  private static void pause(long ms, boolean ignoreInterrupt) throws InterruptedException {
    if (!ignoreInterrupt) {
      Thread.sleep(ms);
      return;
    }
    long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
    boolean interrupted = false;
    for (long left; (left = until - System.nanoTime()) > 0; ) {
      try {
        TimeUnit.NANOSECONDS.sleep(left);
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) Thread.currentThread().interrupt();
  }

  /**
   * {@code demo.hold}: takes an exclusive lock on {@code demo-live/<resource>} (declared, so the runtime takes it
   * before the call runs), tells the scenario it holds it, and keeps it {@code ms} or until interrupted (a cancel,
   * or its deadline). With the fault {@code TOOL_IGNORES_INTERRUPT} it sleeps on through the interrupt, so the
   * lock outlives the cancelled turn.
   */
  static final class Hold implements Tool {
    static final String NAME = "demo.hold";
    static final String KIND = "demo-live";

    private final Consumer<String> holding;
    private final boolean ignoreInterrupt;

    Hold(Consumer<String> holding, boolean ignoreInterrupt) {
      this.holding = holding;
      this.ignoreInterrupt = ignoreInterrupt;
    }

    @Override
    public String name() {
      return NAME;
    }

    @Override
    public String description() {
      return "Holds a shared resource for a while (to show that a cancel releases it).";
    }

    @Override
    public String inputSchema() {
      return "{\"type\":\"object\",\"properties\":{\"resource\":{\"type\":\"string\"},\"ms\":{\"type\":\"integer\"},"
          + "\"id\":{\"type\":\"string\"}},\"required\":[\"resource\",\"ms\"]}";
    }

    @Override
    public List<Resource> resources(JsonNode args, ToolContext ctx) {
      return List.of(Resource.of(KIND, args.get("resource").asText(), Access.EXCLUSIVE));
    }

    @Override
    public JsonNode execute(JsonNode args, ToolContext ctx) throws InterruptedException {
      holding.accept(args.path("id").asText(""));
      pause(args.get("ms").asLong(), ignoreInterrupt);
      return ctx.json().objectNode().put("held", true);
    }
  }
}
