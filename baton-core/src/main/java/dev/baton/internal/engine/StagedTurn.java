package dev.baton.internal.engine;

import dev.baton.LiveEvent;
import dev.baton.Reply;
import dev.baton.ReplyStream;
import dev.baton.SessionKey;
import dev.baton.SessionState;
import dev.baton.TokenBudget;
import dev.baton.Transcript;
import dev.baton.Turn;
import dev.baton.TurnContext;
import dev.baton.spi.MessageStatus;
import dev.baton.spi.SessionData;
import dev.baton.spi.TurnCommit;
import dev.baton.spi.tool.ToolRuntime;
import dev.baton.spi.tool.Tools;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.function.Supplier;

/*
 * Overview
 *   The Turn handed to the agent: the turn's messages plus staged views of its own session only (P1). State
 *   reads see the committed data plus this turn's writes; compareAndSet records the committed value it
 *   compared so the store can re-check it at commit. Nothing here takes a session id.
 *   P10: openStream() gives a LiveStream whose appends go to the reply handler as LiveEvent.Delta at once and
 *   whose finish() stages the concatenation as a reply; takeSteered() moves the session's newly queued
 *   messages into this turn (queue mode steer) and announces each with a STEERED status. Every reply names all
 *   messages taken so far (covers) and answers the last.
 *
 * Concurrency
 *   Every method is synchronized on this object: the agent may use the turn from tasks it starts (parallel
 *   tool calls), and the engine seals it when the turn ends. After seal() every mutator throws
 *   IllegalStateException, so an agent thread that outlives its turn (timeout, interrupt) changes nothing.
 *   A LiveStream has its own monitor, held while it appends, hands a delta on (non-blocking by the ReplyHandler
 *   contract) and stages its reply; lock order: stream, then this turn, then (takeSteered) the session actor.
 *   Nothing here takes a stream's monitor while holding this one (cancelledReplies and
 *   latestUnfinishedWithText copy the list first).
 */
/** The staged, session-scoped {@link Turn} of one attempt. Thread-safe. */
final class StagedTurn implements Turn, SessionState, Transcript {

  private final TurnContext context;
  private final TurnHooks hooks;
  private final TokenBudget budget;
  private final SessionData committed;
  private final Supplier<Instant> clock;
  private final Tools tools;
  // Guarded by this.
  private final List<QueuedMessage> taken;
  private List<Message> messages;
  private final List<LiveStream> streams = new ArrayList<>(1);
  private final Map<String, Optional<String>> writes = new HashMap<>();
  private final Map<String, Optional<String>> expected = new HashMap<>();
  private final List<Transcript.Entry> appended = new ArrayList<>();
  private final List<Reply> replies = new ArrayList<>();
  private boolean sealed;

  StagedTurn(TurnContext context, List<QueuedMessage> batch, SessionData committed, Supplier<Instant> clock,
      ToolRuntime toolRuntime) {
    this(context, batch, committed, clock, toolRuntime, TurnHooks.NONE);
  }

  StagedTurn(TurnContext context, List<QueuedMessage> batch, SessionData committed, Supplier<Instant> clock,
      ToolRuntime toolRuntime, TurnHooks hooks) {
    this(context, batch, committed, clock, toolRuntime, hooks, TokenBudget.unlimited());
  }

  StagedTurn(TurnContext context, List<QueuedMessage> batch, SessionData committed, Supplier<Instant> clock,
      ToolRuntime toolRuntime, TurnHooks hooks, TokenBudget budget) {
    this.context = context;
    this.budget = budget;
    this.hooks = hooks;
    this.taken = new ArrayList<>(batch);
    List<Message> ms = new ArrayList<>(batch.size());
    for (QueuedMessage p : batch) ms.add(message(p));
    this.messages = List.copyOf(ms);
    this.committed = committed;
    this.clock = clock;
    this.tools = Objects.requireNonNull(toolRuntime.bind(context, this), "ToolRuntime.bind returned null");
  }

  // --- Turn ---

  private static Message message(QueuedMessage p) {
    var m = p.entry.message();
    return new Message(p.messageId(), m.sender(), m.text(), m.sentAt());
  }

  @Override public synchronized List<Message> messages() { return messages; }
  @Override public SessionState state() { return this; }
  @Override public Transcript transcript() { return this; }
  @Override public Tools tools() { return tools; }
  @Override public TurnContext context() { return context; }
  @Override public TokenBudget budget() { return budget; }

  @Override
  public void reply(String text) {
    stageReply(text, OptionalLong.empty());
  }

  @Override
  public void reply(String text, long turnNumber) {
    stageReply(text, OptionalLong.of(turnNumber));
  }

  /** Stages {@code text} as a BUSY reply: the engine answers instead of the agent (a spent token budget). */
  void refuse(String text) {
    stageReply(Reply.Kind.BUSY, text, OptionalLong.empty());
  }

  @Override
  public void replyError(String text) {
    stageReply(Reply.Kind.ERROR, text, OptionalLong.empty());
  }

  private void stageReply(String text, OptionalLong turn) {
    stageReply(Reply.Kind.REPLY, text, turn);
  }

  private void stageReply(Reply.Kind kind, String text, OptionalLong turn) {
    stageReply(kind, text, turn, "");
  }

  private synchronized void stageReply(Reply.Kind kind, String text, OptionalLong turn, String streamId) {
    checkOpen();
    replies.add(reply(context.session(), taken, kind, Objects.requireNonNull(text, "text"), turn, streamId));
  }

  static Reply reply(SessionKey session, QueuedMessage to, Reply.Kind kind, String text, OptionalLong turn) {
    return reply(session, List.of(to), kind, text, turn, "");
  }

  /** A reply to the last of {@code covered} that names them all. */
  static Reply reply(SessionKey session, List<QueuedMessage> covered, Reply.Kind kind, String text,
      OptionalLong turn, String streamId) {
    QueuedMessage to = covered.getLast();
    var m = to.entry.message();
    List<String> ids = new ArrayList<>(covered.size());
    for (QueuedMessage p : covered) ids.add(p.messageId());
    return new Reply(session, 0, m.channel(), m.effectiveChat(), to.messageId(), kind, text, turn, m.routing(),
        streamId, ids);
  }

  // --- P10: streams and steering ---

  @Override
  public synchronized ReplyStream openStream() {
    checkOpen();
    LiveStream s = new LiveStream(taken.getFirst().messageId() + "#" + (streams.size() + 1));
    streams.add(s);
    return s;
  }

  @Override
  public synchronized List<Message> takeSteered() {
    checkOpen();
    List<QueuedMessage> more = hooks.takeSteered();
    if (more.isEmpty()) return List.of();
    List<Message> out = new ArrayList<>(more.size());
    for (QueuedMessage p : more) {
      taken.add(p);
      out.add(message(p));
      hooks.live(status(p, LiveEvent.State.STEERED));
    }
    List<Message> all = new ArrayList<>(messages);
    all.addAll(out);
    messages = List.copyOf(all);
    return List.copyOf(out);
  }

  /** A status event about {@code p}, shown where {@code p} came from. */
  static LiveEvent.Status status(QueuedMessage p, LiveEvent.State state) {
    var m = p.entry.message();
    return new LiveEvent.Status(p.entry.session(), m.channel(), m.effectiveChat(), p.messageId(), m.routing(),
        state);
  }

  /** Every message this turn has taken: its batch, then the steered ones, in order. */
  synchronized List<QueuedMessage> taken() {
    return List.copyOf(taken);
  }

  /**
   * The replies of a cancelled turn (call after {@link #seal}): those it staged already (finished streams and
   * plain replies: the user has seen them), then one of kind CANCELLED carrying what its latest unfinished stream
   * showed (with that stream's id, so a channel edits the preview into it) or {@code notice} if none showed text.
   */
  List<Reply> cancelledReplies(String notice) {
    List<Reply> out;
    List<QueuedMessage> covered;
    synchronized (this) {
      out = new ArrayList<>(replies);
      covered = List.copyOf(taken);
    }
    LiveStream shown = latestUnfinishedWithText();
    out.add(reply(context.session(), covered, Reply.Kind.CANCELLED, shown == null ? notice : shown.text(),
        OptionalLong.empty(), shown == null ? "" : shown.id()));
    return out;
  }

  /**
   * The latest stream that showed text and was not finished, or null: an error or timeout reply carries its id so
   * that a channel turns the half-shown preview into the error text instead of leaving it dangling.
   */
  @org.jspecify.annotations.Nullable LiveStream latestUnfinishedWithText() {
    List<LiveStream> ss;
    synchronized (this) {
      ss = List.copyOf(streams);
    }
    for (int i = ss.size() - 1; i >= 0; i--) {
      if (ss.get(i).showing()) return ss.get(i);
    }
    return null;
  }

  /** A {@link ReplyStream} of this turn. Thread-safe (its monitor; see the class comment for lock order). */
  final class LiveStream implements ReplyStream {
    private final String id;
    // Guarded by this.
    private final StringBuilder text = new StringBuilder();
    private boolean finished;

    LiveStream(String id) {
      this.id = id;
    }

    @Override
    public String id() {
      return id;
    }

    @Override
    public synchronized void append(String more) {
      Objects.requireNonNull(more, "text");
      checkUsable();
      // Under the turn's monitor, so seal() cannot slip in between the check and the hand-over: every delta is
      // handed over before the turn seals, hence before its replies (and before a cancelled status).
      synchronized (StagedTurn.this) {
        checkOpen();
        QueuedMessage to = taken.getLast();
        long offset = text.length();
        text.append(more);
        if (more.isEmpty()) return;
        var m = to.entry.message();
        hooks.live(new LiveEvent.Delta(context.session(), m.channel(), m.effectiveChat(), to.messageId(),
            m.routing(), id, offset, more));
      }
    }

    @Override
    public synchronized void finish() {
      checkUsable();
      finished = true;
      stageReply(Reply.Kind.REPLY, text.toString(), OptionalLong.empty(), id);
    }

    @Override
    public synchronized String text() {
      return text.toString();
    }

    /** Whether it showed text and was not finished. */
    synchronized boolean showing() {
      return !finished && !text.isEmpty();
    }

    private void checkUsable() {
      if (hooks.ended()) throw new CancellationException("this turn was cancelled");
      if (finished) throw new IllegalStateException("this stream is finished");
    }
  }

  // --- SessionState ---

  /** Keys the engine keeps in session state for itself (reorder watermarks); agents cannot see them. */
  static final String RESERVED_PREFIX = "baton.";

  private static String writable(String key) {
    if (Objects.requireNonNull(key, "key").startsWith(RESERVED_PREFIX)) {
      throw new IllegalArgumentException("state keys starting with '" + RESERVED_PREFIX + "' are reserved");
    }
    return key;
  }

  @Override
  public synchronized Optional<String> get(String key) {
    if (Objects.requireNonNull(key, "key").startsWith(RESERVED_PREFIX)) return Optional.empty();
    Optional<String> w = writes.get(key);
    return w != null ? w : Optional.ofNullable(committed.state().get(key));
  }

  @Override
  public synchronized void put(String key, String value) {
    checkOpen();
    writes.put(writable(key), Optional.of(Objects.requireNonNull(value, "value")));
  }

  @Override
  public synchronized void remove(String key) {
    checkOpen();
    writes.put(writable(key), Optional.empty());
  }

  @Override
  public synchronized boolean compareAndSet(String key, Optional<String> expect, String newValue) {
    checkOpen();
    Objects.requireNonNull(newValue, "newValue");
    writable(key);
    if (!get(key).equals(expect)) return false;
    if (!writes.containsKey(key)) expected.putIfAbsent(key, Optional.ofNullable(committed.state().get(key)));
    writes.put(key, Optional.of(newValue));
    return true;
  }

  @Override
  public synchronized Set<String> keys() {
    Set<String> out = new LinkedHashSet<>();
    for (String k : committed.state().keySet()) if (!k.startsWith(RESERVED_PREFIX)) out.add(k);
    for (var w : writes.entrySet()) {
      if (w.getValue().isPresent()) out.add(w.getKey());
      else out.remove(w.getKey());
    }
    return Collections.unmodifiableSet(out);
  }

  // --- Transcript ---

  @Override
  public synchronized List<Entry> entries() {
    if (appended.isEmpty()) return committed.transcript();
    List<Entry> all = new ArrayList<>(committed.transcript());
    all.addAll(appended);
    return List.copyOf(all);
  }

  @Override
  public synchronized void append(Role role, String text) {
    checkOpen();
    appended.add(new Entry(Objects.requireNonNull(role, "role"), Objects.requireNonNull(text, "text"), clock.get()));
  }

  // --- engine side ---

  private void checkOpen() {
    if (sealed) throw new IllegalStateException("this turn is over");
  }

  /** Ends the attempt: no more changes. */
  synchronized void seal() {
    sealed = true;
  }

  /** The commit of this attempt (call after {@link #seal}). */
  synchronized TurnCommit commit(List<dev.baton.DedupKey> keys, Map<String, Optional<String>> extraWrites) {
    Map<String, Optional<String>> w = writes;
    if (!extraWrites.isEmpty()) {
      w = new HashMap<>(writes);
      w.putAll(extraWrites);
    }
    return new TurnCommit(context.session(), keys, MessageStatus.DONE, expected, w, appended, replies, 0);
  }
}
