package dev.baton.spring.ai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.SessionState;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.springframework.ai.chat.memory.ChatMemoryRepository;
import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.messages.Message;
import org.springframework.ai.chat.messages.MessageType;
import org.springframework.ai.chat.messages.SystemMessage;
import org.springframework.ai.chat.messages.ToolResponseMessage;
import org.springframework.ai.chat.messages.UserMessage;

/**
 * A Spring AI {@link ChatMemoryRepository} kept in the session state of the turn a {@link SpringAiAgent} is
 * running: conversation {@code id} is the state key {@code spring-ai.memory.<id>} <em>of that session</em>. The
 * session is never taken from the conversation id, so an id that names another session's conversation (a
 * guessed user id, {@code "default"}, anything a prompt or request supplies) finds this session's memory or
 * nothing, never the other's (P1). Writes are staged and commit with the turn: a failed or cancelled turn
 * leaves the memory as it was; memory is as durable as the configured store.
 *
 * <p>Stored per message: type and text; assistant tool calls and tool responses with their ids, names and data.
 * Media and metadata are not kept.
 *
 * <p><b>Concurrency.</b> One instance serves all sessions; every call works on the calling thread's turn. A
 * session's turns are serial ({@code max_concurrent_per_session: 1}), so the read-modify-write of a
 * {@code MessageWindowChatMemory} never interleaves within a session.
 *
 * @throws IllegalStateException from its methods when called outside a turn of a {@link SpringAiAgent}
 */
public final class BatonChatMemoryRepository implements ChatMemoryRepository {

  /** The prefix of the state keys this repository writes. */
  public static final String KEY_PREFIX = "spring-ai.memory.";

  private static final ObjectMapper JSON = new ObjectMapper();

  private static SessionState state() {
    return TurnScope.require("BatonChatMemoryRepository").turn.state();
  }

  @Override
  public List<String> findConversationIds() {
    return state().keys().stream().filter(k -> k.startsWith(KEY_PREFIX)).map(k -> k.substring(KEY_PREFIX.length()))
        .sorted().toList();
  }

  @Override
  public List<Message> findByConversationId(String conversationId) {
    return state().get(key(conversationId)).map(BatonChatMemoryRepository::fromJson).orElseGet(ArrayList::new);
  }

  @Override
  public void saveAll(String conversationId, List<Message> messages) {
    state().put(key(conversationId), toJson(messages));
  }

  @Override
  public void deleteByConversationId(String conversationId) {
    state().remove(key(conversationId));
  }

  static String key(String conversationId) {
    return KEY_PREFIX + Objects.requireNonNull(conversationId, "conversationId");
  }

  static String toJson(List<Message> messages) {
    ArrayNode arr = JSON.createArrayNode();
    for (Message m : messages) {
      ObjectNode n = arr.addObject().put("type", m.getMessageType().name());
      if (m.getText() != null) n.put("text", m.getText());
      if (m instanceof AssistantMessage a && a.hasToolCalls()) {
        ArrayNode calls = n.putArray("tool_calls");
        for (AssistantMessage.ToolCall c : a.getToolCalls()) {
          calls.addObject().put("id", c.id()).put("type", c.type()).put("name", c.name()).put("arguments", c.arguments());
        }
      }
      if (m instanceof ToolResponseMessage t) {
        ArrayNode rs = n.putArray("responses");
        for (ToolResponseMessage.ToolResponse r : t.getResponses()) {
          rs.addObject().put("id", r.id()).put("name", r.name()).put("data", r.responseData());
        }
      }
    }
    return arr.toString();
  }

  static List<Message> fromJson(String json) {
    JsonNode arr;
    try {
      arr = JSON.readTree(json);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<Message> out = new ArrayList<>();
    for (JsonNode n : arr) {
      String text = n.path("text").asText("");
      switch (MessageType.valueOf(n.path("type").asText())) {
        case USER -> out.add(new UserMessage(text));
        case SYSTEM -> out.add(new SystemMessage(text));
        case ASSISTANT -> {
          List<AssistantMessage.ToolCall> calls = new ArrayList<>();
          for (JsonNode c : n.path("tool_calls")) {
            calls.add(new AssistantMessage.ToolCall(c.path("id").asText(), c.path("type").asText("function"),
                c.path("name").asText(), c.path("arguments").asText()));
          }
          out.add(AssistantMessage.builder().content(text).toolCalls(calls).build());
        }
        case TOOL -> {
          List<ToolResponseMessage.ToolResponse> rs = new ArrayList<>();
          for (JsonNode r : n.path("responses")) {
            rs.add(new ToolResponseMessage.ToolResponse(r.path("id").asText(), r.path("name").asText(),
                r.path("data").asText()));
          }
          out.add(ToolResponseMessage.builder().responses(rs).build());
        }
      }
    }
    return out;
  }
}
