package dev.baton.langchain4j;

import dev.baton.SessionState;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.ChatMessageDeserializer;
import dev.langchain4j.data.message.ChatMessageSerializer;
import dev.langchain4j.store.memory.chat.ChatMemoryStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * A LangChain4j {@link ChatMemoryStore} kept in Baton's session state: memory {@code id} of a session is the
 * state key {@code langchain4j.memory.<id>}, holding the messages as LangChain4j's own JSON
 * ({@link ChatMessageSerializer}). So memory is per session (P1: two sessions using memory id
 * {@code "default"} never see each other's), durable with the configured store, and committed with the turn:
 * a turn that fails or is cancelled leaves the memory as it was.
 *
 * <p><b>Concurrency.</b> LangChain4j warns that concurrent calls with one memory id corrupt a
 * {@code ChatMemory} (read-modify-write of the message list). Here they cannot interleave: a session's turns
 * are serial (P3, {@code max_concurrent_per_session: 1}), and with more concurrent turns per session the
 * state's commit check makes a turn whose read went stale run again. Reads see the turn's own staged writes.
 */
public final class BatonChatMemoryStore implements ChatMemoryStore {

  /** The prefix of the state keys this store writes. */
  public static final String KEY_PREFIX = "langchain4j.memory.";

  private final Supplier<SessionState> state;

  private BatonChatMemoryStore(Supplier<SessionState> state) {
    this.state = state;
  }

  /** A store over one turn's state (for code that builds its memory per turn). */
  public static BatonChatMemoryStore of(SessionState state) {
    return new BatonChatMemoryStore(() -> state);
  }

  /**
   * A store that, on every call, uses the state of the turn that a {@link LangChain4jAgent} is running on this
   * thread (or that {@link BatonExecutors} carried here); one instance serves all sessions.
   *
   * @throws IllegalStateException from its methods when used outside such a turn
   */
  public static BatonChatMemoryStore current() {
    return new BatonChatMemoryStore(() -> TurnScope.require("BatonChatMemoryStore.current()").turn.state());
  }

  @Override
  public List<ChatMessage> getMessages(Object memoryId) {
    Optional<String> json = state.get().get(key(memoryId));
    return json.map(j -> new ArrayList<>(ChatMessageDeserializer.messagesFromJson(j)))
        .map(l -> (List<ChatMessage>) l).orElseGet(ArrayList::new);
  }

  @Override
  public void updateMessages(Object memoryId, List<ChatMessage> messages) {
    state.get().put(key(memoryId), ChatMessageSerializer.messagesToJson(messages));
  }

  @Override
  public void deleteMessages(Object memoryId) {
    state.get().remove(key(memoryId));
  }

  static String key(Object memoryId) {
    return KEY_PREFIX + memoryId;
  }
}
