package dev.baton.gateway.internal;

import dev.baton.SessionKey;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/*
 * Overview
 *   What a channel knows about one reply stream (P10) that it shows on its platform: where the stream goes
 *   (session, channel, chat, routing of the message it answers), the platform message its preview created
 *   (the anchor, in the channel's own encoding, e.g. "telegram:<chat>:<message_id>"), whether that anchor came
 *   from the store (a run before a crash: what it shows is unknown), and the text the preview shows now.
 *   A sink reads and writes it in OutboundDelivery.StreamSink.preview / sendFinal; OutboundDelivery persists a
 *   new anchor with Store.putAnchor after the call.
 *
 * Concurrency
 *   Not thread-safe: used only by the drainer of its session's outbound lane, one at a time. A later drainer
 *   of the lane takes the lane's lock before it reads the view, which orders it after the earlier drainer's
 *   writes (the earlier one released that lock last).
 *
 * Failure
 *   None of its own; a channel keeps its partial progress here (e.g. a Slack stream already stopped), so a
 *   final reply retried after a 429 does not repeat a step that succeeded.
 */
/** One stream's state on its platform: anchor, shown text and the channel's progress flags. */
final class StreamView {

  final SessionKey session;
  final String streamId;
  final String channel;
  final String chat;
  final Map<String, String> routing;

  /** The platform message the preview created (channel encoding), or null while there is none. */
  @Nullable String anchor;
  /** The anchor came from the store (written before a restart): what the message shows is unknown. */
  boolean recovered;
  /** The store was asked for an anchor already. */
  boolean lookedUp;
  /** The text the preview shows now ("" if unknown or nothing). */
  String shown = "";
  /** Slack native: a stream opened by this process and not stopped yet. */
  boolean open;
  /** Slack native: the stream was stopped (chat.stopStream answered). */
  boolean stopped;
  /** Telegram: sendMessageDraft was refused for this chat, previews use sendMessage/editMessageText. */
  boolean noDrafts;
  /** The final edit of the anchor was refused for good: the final text goes out as a new message. */
  boolean editRefused;

  StreamView(SessionKey session, String streamId, String channel, String chat, Map<String, String> routing) {
    this.session = session;
    this.streamId = streamId;
    this.channel = channel;
    this.chat = chat;
    this.routing = Map.copyOf(routing);
  }
}
