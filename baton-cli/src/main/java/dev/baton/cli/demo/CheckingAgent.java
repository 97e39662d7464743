package dev.baton.cli.demo;

import dev.baton.Agent;
import dev.baton.BatonContext;
import dev.baton.Transcript;
import dev.baton.Turn;
import dev.baton.TurnContext;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import org.slf4j.MDC;

/**
 * Wraps the agent under test and reports what each turn sees to the {@link PromiseChecker}: the context
 * (bound scoped value, MDC), the messages, the session state's recorded owner and the transcript. It also
 * keeps the running-turn counters (P3) around the delegate's whole turn, so they measure what really runs
 * at once rather than what the engine believes.
 *
 * <p>Thread-safe (no mutable fields); called on the engine's turn threads.
 */
final class CheckingAgent implements Agent {

  static final String OWNER_KEY = "demo.owner";

  private final Agent delegate;
  private final PromiseChecker checker;
  private final Function<String, Duration> workByUser;

  /** {@code workByUser}: how long the simulated model call of a user's turn takes. */
  CheckingAgent(Agent delegate, PromiseChecker checker, Function<String, Duration> workByUser) {
    this.delegate = delegate;
    this.checker = checker;
    this.workByUser = workByUser;
  }

  @Override
  public void onTurn(Turn turn) throws Exception {
    TurnContext ctx = turn.context();
    Optional<String> owner = turn.state().get(OWNER_KEY);
    List<String> transcript = turn.transcript().entries().stream()
        .filter(e -> e.role() == Transcript.Role.USER).map(Transcript.Entry::text).toList();
    checker.turnStarted(new TurnObservation(ctx, BatonContext.current(), Optional.ofNullable(MDC.get("baton.session")),
        turn.messages(), owner, transcript), System.nanoTime());
    try {
      if (owner.isEmpty()) turn.state().put(OWNER_KEY, ctx.user());
      Duration work = workByUser.apply(ctx.user());
      if (!work.isZero()) Thread.sleep(work); // the simulated model call, so turns overlap as real ones do
      delegate.onTurn(turn);
    } finally {
      checker.turnEnded(ctx.session());
    }
  }
}
