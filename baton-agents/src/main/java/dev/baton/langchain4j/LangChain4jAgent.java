package dev.baton.langchain4j;

import dev.baton.Agent;
import dev.baton.Turn;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.service.AiServices;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.stream.Collectors;

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

  private final A assistant;
  private final Answerer<A> answerer;

  private LangChain4jAgent(A assistant, Answerer<A> answerer) {
    this.assistant = assistant;
    this.answerer = answerer;
  }

  public static <A> Builder<A> builder(Class<A> assistantType) {
    return new Builder<>(assistantType);
  }

  @Override
  public void onTurn(Turn turn) throws Exception {
    String text = ScopedValue.where(TurnScope.CURRENT, new TurnScope(turn)).call(() -> answerer.answer(assistant, turn));
    turn.reply(text == null ? "" : text);
  }

  /** Builds a {@link LangChain4jAgent}. Not thread-safe; use once. */
  public static final class Builder<A> {
    private final Class<A> type;
    private Optional<ChatModel> model = Optional.empty();
    private final List<Object> tools = new ArrayList<>();
    private int maxMessages = 20;
    private Consumer<AiServices<A>> customizer = b -> {};
    private Optional<Answerer<A>> answerer = Optional.empty();

    private Builder(Class<A> type) {
      this.type = Objects.requireNonNull(type);
    }

    public Builder<A> chatModel(ChatModel m) {
      this.model = Optional.of(m);
      return this;
    }

    /** Objects with {@code @Tool} methods; their calls go through Baton's tool runtime. */
    public Builder<A> tools(Object... toolObjects) {
      tools.addAll(List.of(toolObjects));
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
      AiServices<A> services = AiServices.builder(type)
          .chatModel(model.orElseThrow(() -> new IllegalStateException("chatModel is required")))
          .chatMemoryProvider(BatonChatMemoryProvider.withMaxMessages(maxMessages))
          .executeToolsConcurrently(BatonExecutors.virtualThreads());
      if (!tools.isEmpty()) services.tools(LangChain4jTools.executors(tools.toArray()));
      customizer.accept(services);
      return new LangChain4jAgent<>(services.build(),
          answerer.orElseThrow(() -> new IllegalStateException("answer(...) is required")));
    }
  }
}
