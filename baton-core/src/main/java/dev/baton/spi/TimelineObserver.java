package dev.baton.spi;

import dev.baton.TurnContext;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * Told of each turn and each tool call as it happens, for a per-session timeline (the gateway's operator
 * console, docs/console.md). Optional: the engine ({@code Baton.Builder.observer}) and the tool runtime ({@code
 * BatonTools.Builder.observer}) hold none by default, and then pay one null check per turn and per call, nothing
 * else. {@code baton serve} installs one only when the console is on ({@code admin.token} set).
 *
 * <p>Nothing here carries message or tool text: ids, names, resources and outcomes only.
 *
 * <p><b>Concurrency.</b> Called on the turn's and the tool calls' threads, many at once; an implementation must
 * be thread-safe, must not block (append to memory, nothing more) and must not throw. Per turn the calls come in
 * order: {@link #turnStarted} first, then its calls' events, {@link #turnEnded} (before the turn's replies are
 * handed to the {@link ReplyHandler}), but a call's events may interleave with its parallel siblings'.
 */
public interface TimelineObserver {

  /** A turn starts running {@code turn.messageIds()}; {@code startedAt} is the engine's clock at its start. */
  default void turnStarted(TurnContext turn, Instant startedAt) {}

  /**
   * The turn is over. {@code outcome}: {@code replied} (committed with the agent's replies), {@code failed} (an
   * error reply), {@code timeout}, {@code cancelled} (by a user, or at shutdown), {@code requeued} (interrupted
   * by a new message, or handed to another node: its messages run again). Told after the commit and before its
   * replies are routed.
   */
  default void turnEnded(TurnContext turn, String outcome) {}

  /** A tool call {@code call} (a wait-for-graph party name, e.g. {@code call#12}) of {@code tool} started. */
  default void callStarted(TurnContext turn, String call, String tool) {}

  /** The call queues for {@code resource} (e.g. {@code res:a (exclusive)}), held now by {@code heldBy}. */
  default void lockWaitStarted(TurnContext turn, String call, String resource, List<String> heldBy) {}

  /** The call's wait for {@code resource} ended: {@code granted}, {@code deadlock}, {@code timeout} or {@code interrupted}. */
  default void lockWaitEnded(TurnContext turn, String call, String resource, Duration waited, String outcome) {}

  /** The call ended; {@code outcome} is {@code ok}, {@code replayed} or the failure's code ({@code timeout}, ...). */
  default void callEnded(TurnContext turn, String call, String tool, String outcome) {}
}
