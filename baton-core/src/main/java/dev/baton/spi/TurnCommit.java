package dev.baton.spi;

import dev.baton.DedupKey;
import dev.baton.Reply;
import dev.baton.SessionKey;
import dev.baton.Transcript;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Everything one turn changes, committed by {@link Store#commitTurn} in one transaction.
 *
 * @param session the session
 * @param messages the turn's messages, moved to {@code status}
 * @param status the messages' new status ({@code DONE} after a turn, {@code FAILED}, {@code EXPIRED}, ...)
 * @param expected values the turn compared ({@code Optional.empty()} = absent) and that must still hold
 * @param writes new values ({@code Optional.empty()} = remove)
 * @param transcript entries to append
 * @param replies replies to append to the outbox ({@code outboxSeq} is ignored and assigned by the store)
 * @param fencingToken the session lease's fencing token, or 0 when the store does not fence (single node)
 */
public record TurnCommit(
    SessionKey session,
    List<DedupKey> messages,
    MessageStatus status,
    Map<String, Optional<String>> expected,
    Map<String, Optional<String>> writes,
    List<Transcript.Entry> transcript,
    List<Reply> replies,
    long fencingToken) {

  public TurnCommit {
    messages = List.copyOf(messages);
    expected = Map.copyOf(expected);
    writes = Map.copyOf(writes);
    transcript = List.copyOf(transcript);
    replies = List.copyOf(replies);
  }

  /** A commit that only finishes messages and sends replies (error, expiry, busy). */
  public static TurnCommit finishOnly(
      SessionKey session, List<DedupKey> messages, MessageStatus status, List<Reply> replies) {
    return new TurnCommit(session, messages, status, Map.of(), Map.of(), List.of(), replies, 0);
  }
}
