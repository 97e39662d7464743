package dev.baton.langchain4j;

import dev.langchain4j.memory.ChatMemory;
import dev.langchain4j.memory.chat.ChatMemoryProvider;
import dev.langchain4j.memory.chat.MessageWindowChatMemory;

/**
 * A {@link ChatMemoryProvider} whose memories keep the last {@code maxMessages} messages in the running turn's
 * session state ({@link BatonChatMemoryStore#current()}). One provider serves all sessions: AiServices may
 * cache the {@link ChatMemory} of a memory id, but that object holds no messages; each read and write goes to
 * the current session's state.
 */
public final class BatonChatMemoryProvider implements ChatMemoryProvider {

  private final int maxMessages;
  private final BatonChatMemoryStore store = BatonChatMemoryStore.current();

  private BatonChatMemoryProvider(int maxMessages) {
    if (maxMessages <= 0) throw new IllegalArgumentException("maxMessages must be positive, was " + maxMessages);
    this.maxMessages = maxMessages;
  }

  public static BatonChatMemoryProvider withMaxMessages(int maxMessages) {
    return new BatonChatMemoryProvider(maxMessages);
  }

  @Override
  public ChatMemory get(Object memoryId) {
    return MessageWindowChatMemory.builder().id(memoryId).maxMessages(maxMessages).chatMemoryStore(store).build();
  }
}
