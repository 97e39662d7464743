package dev.baton.agents;

import dev.baton.SessionKey;
import dev.baton.SessionState;
import dev.baton.Transcript;
import dev.baton.Turn;
import dev.baton.TurnContext;
import dev.baton.testing.MapSessionState;
import dev.baton.spi.tool.ToolRuntime;
import dev.baton.spi.tool.Tools;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A turn for tests: committed transcript and state passed in, staged appends/puts/replies recorded. {@link
 * #commit()} returns the transcript as it would be after the turn committed.
 */
public final class FakeTurn implements Turn {

  public final List<Message> messages;
  public final List<Transcript.Entry> committed;
  public final List<Transcript.Entry> staged = new CopyOnWriteArrayList<>();
  public final ConcurrentHashMap<String, String> state;
  private final MapSessionState sessionState;
  public final List<String> replies = new CopyOnWriteArrayList<>();
  /** The texts of {@link #replyError} replies, which also appear in {@link #replies}. */
  public final List<String> errors = new CopyOnWriteArrayList<>();
  public final Tools tools;
  public final TurnContext context;

  public FakeTurn(String session, List<Message> messages, List<Transcript.Entry> committed, Map<String, String> state,
      Tools tools, Instant deadline) {
    this(session, messages, committed, state, (c, s) -> tools, deadline);
  }

  /** A turn whose tools come from a real runtime, bound to this turn's context and state as the engine does. */
  public FakeTurn(String session, List<Message> messages, List<Transcript.Entry> committed, Map<String, String> state,
      ToolRuntime runtime, Instant deadline) {
    this.messages = List.copyOf(messages);
    this.committed = List.copyOf(committed);
    this.state = new ConcurrentHashMap<>(state);
    this.sessionState = new MapSessionState(this.state);
    this.context = new TurnContext((session.indexOf(':') > 0 ? SessionKey.parse(session) : SessionKey.user("api", session)), "user-" + session,
        messages.stream().map(Message::id).toList(), "trace-1", SEQ.incrementAndGet(), deadline);
    this.tools = runtime.bind(context, state());
  }

  private static final java.util.concurrent.atomic.AtomicLong SEQ = new java.util.concurrent.atomic.AtomicLong();

  public static FakeTurn of(String text, Tools tools, Instant deadline) {
    return new FakeTurn("s1", List.of(new Message("m-1", "alice", text, deadline)), List.of(), Map.of(), tools,
        deadline);
  }

  public List<Transcript.Entry> commit() {
    List<Transcript.Entry> all = new ArrayList<>(committed);
    all.addAll(staged);
    return all;
  }

  @Override
  public List<Message> messages() {
    return messages;
  }

  @Override
  public SessionState state() {
    return sessionState;
  }

  @Override
  public Transcript transcript() {
    return new Transcript() {
      @Override
      public List<Entry> entries() {
        return commit();
      }

      @Override
      public void append(Role role, String text) {
        staged.add(new Entry(role, text, Instant.EPOCH));
      }
    };
  }

  @Override
  public Tools tools() {
    return tools;
  }

  @Override
  public TurnContext context() {
    return context;
  }

  @Override
  public void reply(String text) {
    replies.add(text);
  }

  @Override
  public void replyError(String text) {
    replies.add(text);
    errors.add(text);
  }

  @Override
  public void reply(String text, long turnNumber) {
    replies.add(text);
  }
}
