package dev.baton.internal.engine;

import dev.baton.Reply;
import dev.baton.SessionKey;
import dev.baton.SessionState;
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
import java.util.function.Supplier;

/*
 * Overview
 *   The Turn handed to the agent: the turn's messages plus staged views of its own session only (P1). State
 *   reads see the committed data plus this turn's writes; compareAndSet records the committed value it
 *   compared so the store can re-check it at commit. Nothing here takes a session id.
 *
 * Concurrency
 *   Every method is synchronized on this object: the agent may use the turn from tasks it starts (parallel
 *   tool calls), and the engine seals it when the turn ends. After seal() every mutator throws
 *   IllegalStateException, so an agent thread that outlives its turn (timeout, interrupt) changes nothing.
 */
/** The staged, session-scoped {@link Turn} of one attempt. Thread-safe. */
final class StagedTurn implements Turn, SessionState, Transcript {

  private final TurnContext context;
  private final List<Message> messages;
  private final QueuedMessage last;
  private final SessionData committed;
  private final Supplier<Instant> clock;
  private final Tools tools;
  // Guarded by this.
  private final Map<String, Optional<String>> writes = new HashMap<>();
  private final Map<String, Optional<String>> expected = new HashMap<>();
  private final List<Transcript.Entry> appended = new ArrayList<>();
  private final List<Reply> replies = new ArrayList<>();
  private boolean sealed;

  StagedTurn(TurnContext context, List<QueuedMessage> batch, SessionData committed, Supplier<Instant> clock,
      ToolRuntime toolRuntime) {
    this.context = context;
    List<Message> ms = new ArrayList<>(batch.size());
    for (QueuedMessage p : batch) {
      var m = p.entry.message();
      ms.add(new Message(p.messageId(), m.sender(), m.text(), m.sentAt()));
    }
    this.messages = List.copyOf(ms);
    this.last = batch.getLast();
    this.committed = committed;
    this.clock = clock;
    this.tools = Objects.requireNonNull(toolRuntime.bind(context, this), "ToolRuntime.bind returned null");
  }

  // --- Turn ---

  @Override public List<Message> messages() { return messages; }
  @Override public SessionState state() { return this; }
  @Override public Transcript transcript() { return this; }
  @Override public Tools tools() { return tools; }
  @Override public TurnContext context() { return context; }

  @Override
  public void reply(String text) {
    stageReply(text, OptionalLong.empty());
  }

  @Override
  public void reply(String text, long turnNumber) {
    stageReply(text, OptionalLong.of(turnNumber));
  }

  @Override
  public void replyError(String text) {
    stageReply(Reply.Kind.ERROR, text, OptionalLong.empty());
  }

  private void stageReply(String text, OptionalLong turn) {
    stageReply(Reply.Kind.REPLY, text, turn);
  }

  private synchronized void stageReply(Reply.Kind kind, String text, OptionalLong turn) {
    checkOpen();
    replies.add(reply(context.session(), last, kind, Objects.requireNonNull(text, "text"), turn));
  }

  static Reply reply(SessionKey session, QueuedMessage to, Reply.Kind kind, String text, OptionalLong turn) {
    var m = to.entry.message();
    return new Reply(session, 0, m.channel(), m.effectiveChat(), to.messageId(), kind, text, turn, m.routing());
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
