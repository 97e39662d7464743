package dev.baton.gateway.support;

import dev.baton.Admission;
import dev.baton.Baton;
import dev.baton.DedupKey;
import dev.baton.EngineSnapshot;
import dev.baton.IdSource;
import dev.baton.InboundMessage;
import dev.baton.Reply;
import dev.baton.SessionKey;
import dev.baton.config.BatonConfig;
import dev.baton.spi.ReplyHandler;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A small stand-in for the engine: dedup by key (putIfAbsent, so exactly one of concurrent submissions is
 * accepted), busy for senders listed in {@link #busy} (with one busy reply handed to the reply handler, as
 * the engine commits and delivers one), and an echo reply per accepted message, numbered per session,
 * handed to the reply handler in order.
 */
public class FakeEngine implements Baton {

  public final List<InboundMessage> accepted = new CopyOnWriteArrayList<>();
  public final Set<String> busy = ConcurrentHashMap.newKeySet();
  private final ConcurrentHashMap<DedupKey, Boolean> seen = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<SessionKey, AtomicLong> outbox = new ConcurrentHashMap<>();
  private final BatonConfig config;
  private final ReplyHandler replies;
  public volatile boolean closed;
  public volatile boolean emitReplies = true;
  public volatile boolean recordAccepted = true;
  public volatile boolean storeDown;

  public FakeEngine(BatonConfig config, ReplyHandler replies) {
    this.config = config;
    this.replies = replies;
  }

  @Override
  public Admission submit(InboundMessage m) {
    DedupKey key = DedupKey.of(m, 0);
    if (closed) return new Admission.Rejected(key, "engine closed");
    if (storeDown) throw new dev.baton.spi.StoreException("disk full at /secret/path", new java.io.IOException("x"));
    SessionKey session = SessionKey.derive(m, IdSource.USER_ID);
    if (busy.contains(m.sender())) {
      if (emitReplies) emit(session, m, Reply.Kind.BUSY, "busy, try again later", false);
      return new Admission.Busy(key, "busy, try again later", true); // like the session-queue case
    }
    if (seen.putIfAbsent(key, Boolean.TRUE) != null) return new Admission.Duplicate(key);
    if (recordAccepted) accepted.add(m);
    if (emitReplies) emit(session, m, Reply.Kind.REPLY, "echo: " + m.text(), true);
    return new Admission.Accepted(key, session);
  }

  /** Hands a live event to the reply handler, as a running turn's stream or status would (P10). */
  public void live(dev.baton.LiveEvent event) {
    replies.onLive(event);
  }

  /** Hands a reply to the reply handler as it is (for replies with a stream id or covers). */
  public void deliver(Reply reply) {
    replies.onReply(reply);
  }

  /** What {@link #cancel} reports; one cancelled turn by default. */
  public volatile Cancelled cancelResult = new Cancelled(1, 0);

  /** Sessions passed to {@link #cancel}, in order, with their drop_queued flag. */
  public final List<String> cancels = new CopyOnWriteArrayList<>();

  /** Records the call; reports {@link #cancelResult} (the fake runs no turns of its own). */
  @Override
  public Cancelled cancel(SessionKey session, boolean dropQueued) {
    cancels.add(session + (dropQueued ? " drop" : ""));
    return cancelResult;
  }

  /** Hands one reply to the handler with the session's next outbox number (also its turn, if numbered). */
  private void emit(SessionKey session, InboundMessage m, Reply.Kind kind, String text, boolean numbered) {
    synchronized (outbox.computeIfAbsent(session, s -> new AtomicLong())) {
      long seq = outbox.get(session).incrementAndGet();
      replies.onReply(new Reply(session, seq, m.channel(), m.effectiveChat(), m.messageId(), kind, text,
          numbered ? OptionalLong.of(seq) : OptionalLong.empty(), m.routing()));
    }
  }

  @Override
  public EngineSnapshot snapshot() {
    return new EngineSnapshot(1, 2, List.of(new EngineSnapshot.SessionView(new SessionKey("api:u:alice"), 2, 1)));
  }

  @Override
  public BatonConfig config() {
    return config;
  }

  @Override
  public boolean shutdown(Duration drainDeadline) {
    closed = true;
    return true;
  }

  @Override
  public void close() {
    closed = true;
  }
}
