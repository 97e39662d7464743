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

  /** Every text appended to a stream of this turn, in order (all streams). */
  public final List<String> deltas = new CopyOnWriteArrayList<>();
  /** Replies that were staged by finishing a stream (also in {@link #replies}). */
  public final List<String> streamed = new CopyOnWriteArrayList<>();
  /** Messages {@link #takeSteered} hands out, once each; tests add to it while the turn runs. */
  public final java.util.concurrent.ConcurrentLinkedQueue<Message> steer = new java.util.concurrent.ConcurrentLinkedQueue<>();
  /** How often {@link #takeSteered} was called. */
  public final java.util.concurrent.atomic.AtomicInteger steerCalls = new java.util.concurrent.atomic.AtomicInteger();
  /** Counted down at the first delta. */
  public final java.util.concurrent.CountDownLatch firstDelta = new java.util.concurrent.CountDownLatch(1);

  @Override
  public dev.baton.ReplyStream openStream() {
    StringBuilder text = new StringBuilder();
    return new dev.baton.ReplyStream() {
      private boolean finished;

      @Override
      public String id() {
        return messages.getFirst().id() + "#1";
      }

      @Override
      public synchronized void append(String t) {
        if (finished) throw new IllegalStateException("finished");
        text.append(t);
        deltas.add(t);
        firstDelta.countDown();
      }

      @Override
      public synchronized void finish() {
        if (finished) throw new IllegalStateException("finished");
        finished = true;
        replies.add(text.toString());
        streamed.add(text.toString());
      }

      @Override
      public synchronized String text() {
        return text.toString();
      }
    };
  }

  @Override
  public List<Message> takeSteered() {
    steerCalls.incrementAndGet();
    List<Message> out = new ArrayList<>();
    for (Message m; (m = steer.poll()) != null; ) out.add(m);
    return out;
  }
}
