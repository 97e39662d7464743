package dev.baton.spring.ai;

import dev.baton.Agent;
import dev.baton.Transcript;
import dev.baton.Turn;
import java.util.Objects;
import java.util.stream.Collectors;
import org.springframework.ai.chat.client.ChatClient;
import org.springframework.ai.chat.memory.ChatMemory;

/**
 * A Spring AI {@link ChatClient} as Baton's agent. Each turn sends the turn's user text (its messages joined by
 * blank lines) through the client and replies with the answer; the user text and the answer are appended to the
 * session's transcript.
 *
 * <p>The client is built once and shared by all sessions. Give it a chat memory over
 * {@link BatonChatMemoryRepository} (e.g. {@code MessageChatMemoryAdvisor} on a {@code MessageWindowChatMemory})
 * and tools from {@link SpringAiTools#routed}: both find the running turn's session by themselves, through a
 * {@link ScopedValue} bound around the call on the turn's thread. The conversation id given to the memory is
 * {@link #CONVERSATION} and means "this session's conversation": it is not a session id, and no id can reach
 * another session's memory.
 *
 * <p><b>Concurrency.</b> Runs on the turn's virtual thread; Spring AI's synchronous {@code call()} runs its
 * internal tool loop on that same thread, so the turn (and {@code BatonContext.CURRENT}) reaches every tool call.
 * A streaming ({@code stream()}) client is not supported: its Reactor threads do not carry the scope.
 *
 * <p><b>Failure.</b> An exception of the client (provider error, interrupted) fails the turn: Baton sends its
 * generic error reply and commits nothing of the turn (memory included).
 */
public final class SpringAiAgent implements Agent {

  /** The conversation id the agent gives the memory advisor: "this session's conversation". */
  public static final String CONVERSATION = "default";

  private final ChatClient client;

  public SpringAiAgent(ChatClient client) {
    this.client = Objects.requireNonNull(client, "client");
  }

  @Override
  public void onTurn(Turn turn) throws Exception {
    String text = turn.messages().stream().map(Turn.Message::text).collect(Collectors.joining("\n\n"));
    String answer = ScopedValue.where(TurnScope.CURRENT, new TurnScope(turn)).call(() -> client.prompt().user(text)
        .advisors(a -> a.param(ChatMemory.CONVERSATION_ID, CONVERSATION)).call().content());
    String reply = answer == null ? "" : answer;
    turn.transcript().append(Transcript.Role.USER, text);
    turn.transcript().append(Transcript.Role.ASSISTANT, reply);
    turn.reply(reply);
  }
}
