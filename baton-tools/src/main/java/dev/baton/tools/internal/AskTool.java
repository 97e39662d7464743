package dev.baton.tools.internal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.AskLoopException;
import dev.baton.DeadlockException;
import dev.baton.deadlock.Need;
import dev.baton.deadlock.Party;
import dev.baton.deadlock.WaitGraph;
import dev.baton.deadlock.WaitKind;
import dev.baton.spi.Scheduler;
import dev.baton.spi.tool.AskRouter;
import dev.baton.tools.Tool;
import dev.baton.tools.ToolContext;
import dev.baton.tools.ToolException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code ask}: a question to another session's agent, answered with its reply, within a timeout (P4). The
 * asking call waits for the question {@code ask#<id>} in the wait-for graph; the {@link AskRouter} (the
 * engine) reports the question's own waits, so A asks B while B asks A is one cycle (P8). A victim gets
 * {@code deadlock}, a timeout {@code timeout}; neither is recorded, so the agent may ask again. An ask the
 * engine refuses as an agent loop (tools.ask_max_hops, or a repeated cycle) is {@code loop}, not retryable.
 */
final class AskTool implements Tool {
  private static final AtomicLong IDS = new AtomicLong();
  private final AskRouter router;
  private final WaitGraph graph;
  private final Scheduler scheduler;

  AskTool(AskRouter router, WaitGraph graph, Scheduler scheduler) {
    this.router = router;
    this.graph = graph;
    this.scheduler = scheduler;
  }

  @Override
  public String name() {
    return "ask";
  }

  @Override
  public String description() {
    return "Asks another conversation's agent a question and returns its reply.";
  }

  @Override
  public String inputSchema() {
    return "{\"type\":\"object\",\"properties\":{\"to\":{\"type\":\"string\",\"description\":\"the peer to ask\"},"
        + "\"question\":{\"type\":\"string\"},\"timeout_ms\":{\"type\":\"integer\",\"minimum\":1}},"
        + "\"required\":[\"to\",\"question\"],\"additionalProperties\":false}";
  }

  @Override
  public JsonNode execute(JsonNode args, ToolContext ctx) throws InterruptedException {
    String to = Args.string(args, "to");
    String question = Args.string(args, "question");
    long askMs = Args.integer(args, "timeout_ms", Long.MAX_VALUE);
    if (askMs <= 0) throw new ToolException("invalid_arguments", "'timeout_ms' must be positive");
    Duration left = Duration.between(scheduler.now(), ctx.deadline());
    Duration wait = askMs < left.toMillis() ? Duration.ofMillis(askMs) : left;
    String askId = "a" + IDS.incrementAndGet();
    Party me = ((CallContext) ctx).party;
    CompletableFuture<String> view = new CompletableFuture<>();
    CompletableFuture<String> sent = router.send(askId, ctx.turn(), to, question);
    sent.whenComplete((r, e) -> {
      if (e == null) view.complete(r); else view.completeExceptionally(e);
    });
    WaitGraph.Wait edge = graph.await(me, WaitKind.ASK_REPLY, "reply from " + to + " (" + askId + ")", Need.ALL,
        List.of(Party.ask(askId, "question to " + to)), view::completeExceptionally);
    Scheduler.Cancellable timer = scheduler.schedule(wait, () -> view.completeExceptionally(
        new ToolException("timeout", "no reply from '" + to + "' within " + wait.toMillis() + " ms", true)));
    Instant asked = scheduler.now();
    try {
      String reply = view.get();
      return ctx.json().objectNode().put("from", to).put("reply", reply)
          .put("waited_ms", Duration.between(asked, scheduler.now()).toMillis());
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      if (c instanceof DeadlockException d) throw d;
      if (c instanceof AskLoopException) throw new ToolException("loop", CallRunner.messageOf(c)); // a retry loops again
      if (c instanceof ToolException t) throw t;
      if (c instanceof IllegalArgumentException) throw new ToolException("unknown_peer", CallRunner.messageOf(c));
      throw new ToolException("ask_failed", "the ask to '" + to + "' failed", true);
    } finally {
      timer.cancel();
      graph.end(edge);
      if (!sent.isDone()) sent.cancel(true);
    }
  }
}
