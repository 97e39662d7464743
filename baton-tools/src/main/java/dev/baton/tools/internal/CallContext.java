package dev.baton.tools.internal;

import dev.baton.SessionState;
import dev.baton.TurnContext;
import dev.baton.deadlock.Party;
import dev.baton.spi.ClusterLocks;
import dev.baton.tools.Resource;
import dev.baton.tools.ToolContext;
import dev.baton.tools.ToolException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The {@link ToolContext} of one running call: its turn and state, its workspace folders (SafePaths), the
 * locks it takes during the call (local, then across nodes in cluster mode) and its progress reports.
 * Confined to the call's holder thread.
 */
final class CallContext implements ToolContext {
  final Party party;
  private final TurnContext turn;
  private final SessionState state;
  private final CallThreads threads;
  private final Path workspaceRoot;
  private final long deadlineNanos;
  private final Instant deadline;
  /** Cross-node locks this call holds (cluster mode only; null until the first). */
  private @Nullable List<ClusterLocks.Held> clusterHeld;

  CallContext(Party party, TurnContext turn, SessionState state, CallThreads threads, Path workspaceRoot,
      long deadlineNanos, Instant deadline) {
    this.party = party;
    this.turn = turn;
    this.state = state;
    this.threads = threads;
    this.workspaceRoot = workspaceRoot;
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
    return SafePaths.resolve(SafePaths.sessionFolder(workspaceRoot, turn.session()), relative);
  }

  @Override
  public Path sharedPath(String relative) {
    return SafePaths.resolve(SafePaths.sharedFolder(workspaceRoot), relative);
  }

  @Override
  public void lock(Resource resource) throws InterruptedException {
    try {
      threads.locks().acquire(party, resource.key(), resource.access(), deadlineNanos);
      if (threads.clustered()) {
        holdCluster(threads.acquireCluster(party, Map.of(resource.key(), resource.access()), deadline));
      }
    } catch (LockTimeoutException e) {
      throw new ToolException("timeout", "lock " + resource.key() + " was not free within the call's time", true);
    } catch (ClusterLocks.ClusterLockTimeoutException e) {
      throw new ToolException("timeout", CallRunner.messageOf(e), true);
    }
  }

  /** Keeps cross-node locks until the call ends. Called on the call's own thread. */
  void holdCluster(ClusterLocks.Held held) {
    if (clusterHeld == null) clusterHeld = new ArrayList<>(2);
    clusterHeld.add(held);
  }

  /** Releases the call's cross-node locks, the last taken first (the call's thread, in its finally). */
  void releaseCluster() {
    List<ClusterLocks.Held> held = clusterHeld;
    if (held == null) return;
    clusterHeld = null;
    for (int i = held.size() - 1; i >= 0; i--) {
      try {
        held.get(i).close();
      } catch (RuntimeException e) {
        // Its connection is closed then, which ends the locks with it (see ClusterLocks.Held).
      }
    }
  }

  @Override
  public void progress() {
    threads.graph().progress(party);
  }

  @Override
  public Instant deadline() {
    return deadline;
  }

  long deadlineNanos() {
    return deadlineNanos;
  }
}
