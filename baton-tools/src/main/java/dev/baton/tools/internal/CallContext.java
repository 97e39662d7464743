package dev.baton.tools.internal;

import dev.baton.SessionState;
import dev.baton.TurnContext;
import dev.baton.internal.deadlock.Party;
import dev.baton.tools.Resource;
import dev.baton.tools.ToolContext;
import dev.baton.tools.ToolException;
import java.nio.file.Path;
import java.time.Instant;

/** The {@link ToolContext} of one running call. Confined to the call's worker thread. */
final class CallContext implements ToolContext {
  final Party party;
  private final TurnContext turn;
  private final SessionState state;
  private final CallRunner runner;
  private final long deadlineNanos;
  private final Instant deadline;

  CallContext(Party party, TurnContext turn, SessionState state, CallRunner runner, long deadlineNanos,
      Instant deadline) {
    this.party = party;
    this.turn = turn;
    this.state = state;
    this.runner = runner;
    this.deadlineNanos = deadlineNanos;
    this.deadline = deadline;
  }

  @Override
  public TurnContext turn() {
    return turn;
  }

  @Override
  public SessionState state() {
    return state;
  }

  @Override
  public Path workspacePath(String relative) {
    return SafePaths.resolve(runner.workspaceOf(turn.session()), relative);
  }

  @Override
  public Path sharedPath(String relative) {
    return SafePaths.resolve(runner.sharedRoot(), relative);
  }

  @Override
  public void lock(Resource resource) throws InterruptedException {
    try {
      runner.locks().acquire(party, resource.key(), resource.access(), deadlineNanos);
    } catch (LockTimeoutException e) {
      throw new ToolException("timeout", "lock " + resource.key() + " was not free within the call's time", true);
    }
  }

  @Override
  public void progress() {
    runner.graph().progress(party);
  }

  @Override
  public Instant deadline() {
    return deadline;
  }

  long deadlineNanos() {
    return deadlineNanos;
  }
}
