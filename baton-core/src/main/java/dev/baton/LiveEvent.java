package dev.baton;

import java.util.Map;
import java.util.Objects;

/**
 * What a running turn shows before its final reply (P10), handed to {@link dev.baton.spi.ReplyHandler#onLive}:
 * partial text of a {@link ReplyStream} ({@link Delta}) and changes of the turn's state ({@link Status}). Never
 * journaled: an event lost in a crash is simply not shown, and the final reply (journaled, delivered after the
 * events of its turn) is what counts.
 */
public sealed interface LiveEvent {

  /** The session whose turn it is. */
  SessionKey session();

  /** The channel to show it on (that of the message it answers). */
  String channel();

  /** The chat (or sender) to show it to. */
  String chat();

  /** The id of the message it answers: the last message the turn has taken so far. */
  String inReplyTo();

  /** The routing data of that message. */
  Map<String, String> routing();

  /**
   * Text appended to a stream.
   *
   * @param streamId the stream ({@link ReplyStream#id()}; the final reply carries it as {@link Reply#streamId()})
   * @param offset how many characters of the stream came before {@code text}
   * @param text the characters appended since the previous delta of the stream
   */
  record Delta(SessionKey session, String channel, String chat, String inReplyTo, Map<String, String> routing,
      String streamId, long offset, String text) implements LiveEvent {
    public Delta {
      Objects.requireNonNull(session, "session");
      Objects.requireNonNull(channel, "channel");
      Objects.requireNonNull(chat, "chat");
      Objects.requireNonNull(inReplyTo, "inReplyTo");
      routing = Map.copyOf(routing);
      Objects.requireNonNull(streamId, "streamId");
      Objects.requireNonNull(text, "text");
    }
  }

  /**
   * The turn answering {@code inReplyTo} changed state: it started ({@link State#RUNNING}), it was cancelled
   * ({@link State#CANCELLED}; a reply of kind {@link Reply.Kind#CANCELLED} follows), or it took this message
   * while running ({@link State#STEERED}; queue mode {@code steer}).
   */
  record Status(SessionKey session, String channel, String chat, String inReplyTo, Map<String, String> routing,
      State state) implements LiveEvent {
    public Status {
      Objects.requireNonNull(session, "session");
      Objects.requireNonNull(channel, "channel");
      Objects.requireNonNull(chat, "chat");
      Objects.requireNonNull(inReplyTo, "inReplyTo");
      routing = Map.copyOf(routing);
      Objects.requireNonNull(state, "state");
    }
  }

  /** A turn's state as {@link Status} reports it. */
  enum State { RUNNING, CANCELLED, STEERED }
}
