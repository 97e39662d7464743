package dev.baton.tools;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.baton.SessionState;
import dev.baton.TurnContext;
import java.nio.file.Path;
import java.time.Instant;

/**
 * What a running call may use, bound to the calling turn's session (P1): nothing here takes a session id.
 *
 * <p><b>Concurrency.</b> Valid on the call's own thread while the call runs. {@link #lock} blocks.
 */
public interface ToolContext {

  /** The calling turn (session, user, trace, deadline). */
  TurnContext turn();

  /** The turn's session state (staged, commits with the turn). */
  SessionState state();

  /**
   * A file in this session's own workspace, checked: no absolute path, no climbing out, no percent-encoded or
   * Unicode look-alike separators or dots, no symbolic link leading out.
   *
   * @throws ToolException with code {@code rejected_path} otherwise
   */
  Path workspacePath(String relative);

  /** A file in the folder shared by all sessions, checked like {@link #workspacePath}. */
  Path sharedPath(String relative);

  /**
   * Takes one more lock during the call (nested). Held until the call ends. Waits at most until the call's
   * deadline.
   *
   * @throws dev.baton.DeadlockException if this call is chosen as the victim of a deadlock
   * @throws ToolException with code {@code timeout} if the call's time ran out first
   */
  void lock(Resource resource) throws InterruptedException;

  /** Tells the runtime the call is alive and making progress (for the stuck-call report). */
  void progress();

  /** When this call's time runs out. */
  Instant deadline();

  /** For building JSON results. */
  default JsonNodeFactory json() {
    return JsonNodeFactory.instance;
  }
}
