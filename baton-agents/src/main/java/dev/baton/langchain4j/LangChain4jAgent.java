package dev.baton.langchain4j;

import dev.baton.Agent;
import dev.baton.ReplyStream;
import dev.baton.Turn;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingHandle;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.TokenStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/**
 * Runs a LangChain4j {@code AiServices} assistant as a Baton {@link Agent}. The assistant is built once and
 * shared by all sessions; per turn, its chat memory is the session's state ({@link BatonChatMemoryProvider})
 * and its {@code @Tool} methods run through the turn's tool runtime ({@link LangChain4jTools}) with the turn's
 * context, also when LangChain4j runs them concurrently ({@link BatonExecutors}).
 *
 * <pre>{@code
 * interface Assistant { String chat(String message); }
 *
 * Agent agent = LangChain4jAgent.builder(Assistant.class)
 *     .chatModel(OpenAiChatModel.builder().baseUrl(...).apiKey(...).modelName("gpt-4o-mini").build())
 *     .tools(new BankTools())
 *     .answer((assistant, text) -> assistant.chat(text))
 *     .build();
 * }</pre>
 *
 * <p><b>Streaming (P10).</b> With a {@link StreamingChatModel} and an assistant method that returns a
 * {@link TokenStream}, each partial response is appended to the turn's {@link ReplyStream} as it arrives (the
 * user sees it being written) and the turn's reply is the stream's whole text; {@code @Tool} calls of streamed
 * rounds still run through Baton's tool runtime with the turn's context. A cancel or timeout interrupts the turn:
 * the stream is cancelled through its {@code StreamingHandle} (which closes the provider's response) and
 * nothing more is appended.
 *
 * <pre>{@code
 * interface Assistant { TokenStream chat(String message); }
 *
 * Agent agent = LangChain4jAgent.builder(Assistant.class)
 *     .streamingChatModel(OpenAiStreamingChatModel.builder().baseUrl(...).apiKey(...).modelName("gpt-4o-mini").build())
 *     .stream((assistant, text) -> assistant.chat(text))
 *     .build();
 * }</pre>
 *
 * <p><b>Concurrency.</b> {@link #onTurn} may be called for many sessions at once; it binds the turn in a
 * {@link ScopedValue} for the duration of the assistant call and keeps nothing in fields.
 *
 * <p><b>Failure.</b> An exception from the assistant (e.g. the model's server is down) ends the turn with
 * Baton's generic error reply; the session's memory is left as it was, because nothing of the turn commits.
 */
public final class LangChain4jAgent<A> implements Agent {

  /** Calls the assistant for one turn and returns the reply text. */
  @FunctionalInterface
  public interface Answerer<A> {
    String answer(A assistant, Turn turn) throws Exception;
  }

  /** Starts the assistant's streamed answer for one turn. */
  @FunctionalInterface
  public interface Streamer<A> {
    TokenStream stream(A assistant, Turn turn) throws Exception;
  }

  private final A assistant;
  private final @Nullable Answerer<A> answerer;
  private final @Nullable Streamer<A> streamer;

  private LangChain4jAgent(A assistant, @Nullable Answerer<A> answerer, @Nullable Streamer<A> streamer) {
    this.assistant = assistant;
    this.answerer = answerer;
    this.streamer = streamer;
  }

  public static <A> Builder<A> builder(Class<A> assistantType) {
    return new Builder<>(assistantType);
  }

  @Override
  public void onTurn(Turn turn) throws Exception {
    Streamer<A> s = streamer;
    if (s != null) {
      ScopedValue.where(TurnScope.CURRENT, new TurnScope(turn)).call(() -> {
        streamTurn(s.stream(assistant, turn), turn);
        return null;
      });
      return;
    }
    Answerer<A> a = java.util.Objects.requireNonNull(answerer);
    String text = ScopedValue.where(TurnScope.CURRENT, new TurnScope(turn)).call(() -> a.answer(assistant, turn));
    turn.reply(text == null ? "" : text);
  }

  /** Appends the partial responses to one ReplyStream, waits for the end, cancels the stream on interrupt. */
  private static void streamTurn(TokenStream tokens, Turn turn) throws Exception {
    ReplyStream out = turn.openStream();
    CompletableFuture<ChatResponse> done = new CompletableFuture<>();
    AtomicReference<@Nullable StreamingHandle> handle = new AtomicReference<>();
    tokens.onPartialResponseWithContext((partial, context) -> {
      handle.set(context.streamingHandle());
      if (done.isDone()) {
        context.streamingHandle().cancel();
        return;
      }
      try {
        out.append(partial.text());
      } catch (RuntimeException e) { // the turn is over (CancellationException)
        context.streamingHandle().cancel();
        done.completeExceptionally(e);
      }
    }).onCompleteResponse(done::complete).onError(done::completeExceptionally).start();
    try {
      done.get();
    } catch (InterruptedException e) {
      done.cancel(false);
      StreamingHandle h = handle.get();
      if (h != null) h.cancel();
      throw e;
    } catch (ExecutionException e) {
      if (e.getCause() instanceof Exception cause) throw cause;
      throw e;
    }
    out.finish();
  }

  /** Builds a {@link LangChain4jAgent}. Not thread-safe; use once. */
  public static final class Builder<A> {
    private final Class<A> type;
    private Optional<ChatModel> model = Optional.empty();
    private final List<Object> tools = new ArrayList<>();
    private final List<dev.baton.spi.tool.ToolSpec> runtimeTools = new ArrayList<>();
    private int maxMessages = 20;
    private Consumer<AiServices<A>> customizer = b -> {};
    private Optional<Answerer<A>> answerer = Optional.empty();
    private Optional<StreamingChatModel> streamingModel = Optional.empty();
    private Optional<Streamer<A>> streamer = Optional.empty();

    private Builder(Class<A> type) {
      this.type = Objects.requireNonNull(type);
    }

    public Builder<A> chatModel(ChatModel m) {
      this.model = Optional.of(m);
      return this;
    }

    /** The model of streamed answers ({@link #stream}); it may be given alone or beside {@link #chatModel}. */
    public Builder<A> streamingChatModel(StreamingChatModel m) {
      this.streamingModel = Optional.of(m);
      return this;
    }

    /** Streams the answer: calls an assistant method returning {@link TokenStream} with the turn's text. */
    public Builder<A> stream(BiFunction<A, String, TokenStream> call) {
      return streamTurn((a, turn) -> call.apply(a,
          turn.messages().stream().map(Turn.Message::text).collect(Collectors.joining("\n"))));
    }

    /** Streams the answer from the whole turn. */
    public Builder<A> streamTurn(Streamer<A> s) {
      this.streamer = Optional.of(s);
      return this;
    }

    /** Objects with {@code @Tool} methods; their calls go through Baton's tool runtime. */
    public Builder<A> tools(Object... toolObjects) {
      tools.addAll(List.of(toolObjects));
      return this;
    }

    /**
     * Tools registered with the runtime itself (e.g. {@code BatonTools.specs()} with the tools of MCP servers),
     * offered to the model as well; their calls go through the turn's tools by the runtime's name.
     */
    public Builder<A> runtimeTools(List<dev.baton.spi.tool.ToolSpec> specs) {
      runtimeTools.addAll(specs);
      return this;
    }

    /** How many messages of each memory are kept (default 20). */
    public Builder<A> maxMessages(int n) {
      this.maxMessages = n;
      return this;
    }

    /** Further AiServices settings (system message, guardrails, ...), applied after Baton's own. */
    public Builder<A> configure(Consumer<AiServices<A>> c) {
      this.customizer = c;
      return this;
    }

    /** Calls the assistant with the text of the turn's messages (joined by new lines). */
    public Builder<A> answer(BiFunction<A, String, String> call) {
      return answerTurn((a, turn) -> call.apply(a,
          turn.messages().stream().map(Turn.Message::text).collect(Collectors.joining("\n"))));
    }

    /** Calls the assistant with the whole turn. */
    public Builder<A> answerTurn(Answerer<A> a) {
      this.answerer = Optional.of(a);
      return this;
    }

    public LangChain4jAgent<A> build() {
      if (model.isEmpty() && streamingModel.isEmpty()) {
        throw new IllegalStateException("chatModel or streamingChatModel is required");
      }
      if (answerer.isEmpty() && streamer.isEmpty()) {
        throw new IllegalStateException("answer(...) or stream(...) is required");
      }
      if (streamer.isPresent() && streamingModel.isEmpty()) {
        throw new IllegalStateException("stream(...) needs a streamingChatModel");
      }
      AiServices<A> services = AiServices.builder(type)
          .chatMemoryProvider(BatonChatMemoryProvider.withMaxMessages(maxMessages))
          .executeToolsConcurrently(BatonExecutors.virtualThreads());
      model.ifPresent(m -> services.chatModel(new TracedChatModel(m)));
      streamingModel.ifPresent(m -> services.streamingChatModel(new TurnBoundStreamingModel(m)));
      if (!tools.isEmpty() || !runtimeTools.isEmpty()) {
        Map<dev.langchain4j.agent.tool.ToolSpecification, dev.langchain4j.service.tool.ToolExecutor> all =
            new java.util.LinkedHashMap<>(LangChain4jTools.executors(tools.toArray()));
        all.putAll(LangChain4jTools.executorsFor(runtimeTools));
        services.tools(all);
      }
      customizer.accept(services);
      return new LangChain4jAgent<>(services.build(), answerer.orElse(null), streamer.orElse(null));
    }
  }
}
