package dev.baton;

import java.util.concurrent.CancellationException;

/**
 * A reply the user sees while it is written (P10): the agent {@linkplain #append appends} text as its model
 * produces it, and {@link #finish} stages the concatenation of everything appended as one reply of the turn,
 * exactly as {@link Turn#reply(String)} would. Only that final reply is journaled, in the turn's one commit, and
 * only it counts for P2 and P6; the partial text is a preview (SSE {@code delta} events on the HTTP API, a draft
 * or an edited message on the platforms) and is never stored. Open one with {@link Turn#openStream()}.
 *
 * <p><b>Memory consistency.</b> Actions in a thread prior to a call of {@code append} <i>happen-before</i> the
 * delivery of that text to the reply handler, and the delivery of every appended text happens-before the delivery
 * of the final reply, so a user never sees partial text after the final text, nor out of order.
 *
 * <p><b>Threads.</b> Thread-safe: usually called by the turn's own thread, but any thread the turn started may
 * call it (appends from several threads are delivered in the order the calls returned). {@code append} never
 * blocks on the user or the platform: while they are slow, partial text is merged, so memory per stream is the
 * text itself.
 *
 * <p><b>Cancellation.</b> Once the turn is cancelled ({@code POST /v1/cancel}, a stop command, queue mode
 * {@code interrupt}, its timeout, shutdown) {@code append} and {@code finish} throw {@link CancellationException}
 * and nothing is staged; the turn's thread is interrupted as well. After {@code finish}, {@code append} and a
 * second {@code finish} throw {@link IllegalStateException}.
 */
public interface ReplyStream {

  /**
   * This stream's id, unique within its session: {@code <first message id of the turn>#<n>} for the turn's n-th
   * stream, so the re-run of a turn after a crash gets the same id (and edits the platform message the first run
   * created). The final reply carries it as {@link Reply#streamId()}.
   */
  String id();

  /**
   * Appends {@code text} (may be empty) to the reply and hands it on for delivery as partial text.
   *
   * @throws CancellationException if the turn was cancelled
   * @throws IllegalStateException if the stream was finished or its turn is over
   */
  void append(String text);

  /**
   * Stages the concatenation of everything appended as a reply of the turn and ends the stream.
   *
   * @throws CancellationException if the turn was cancelled
   * @throws IllegalStateException if the stream was finished already or its turn is over
   */
  void finish();

  /** Everything appended so far. */
  String text();
}
