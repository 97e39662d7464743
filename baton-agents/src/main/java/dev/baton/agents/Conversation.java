package dev.baton.agents;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.Transcript;
import dev.baton.Transcript.Entry;
import dev.baton.Transcript.Role;
import dev.baton.spi.BatonJson;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/*
 * Overview: the session transcript (P1) is the conversation. USER and ASSISTANT entries hold plain text, so an
 * admin reading a transcript sees the dialogue. A TOOL entry holds one tool call and its result as JSON
 * ({"round", "id", "tool", "arguments", "result", "error"}; "tool" is the runtime's name, sent to the model in
 * its provider-safe form, see ToolNames); consecutive TOOL entries of one round are one
 * assistant message that asked for those calls, and an ASSISTANT entry right before them is that message's
 * text. Reading back therefore rebuilds exactly the messages the model saw.
 *
 * Failure: an entry that cannot be read (hand-edited, another agent's format) is skipped, never fatal.
 */
/** Reads a {@link Transcript} as LangChain4j chat messages and writes tool calls into it. */
final class Conversation {

  /** Tool entries hold a tool's whole result, which is not bounded to 1 MiB: read with TOOL_RESULTS. */
  private static final ObjectMapper JSON = BatonJson.TOOL_RESULTS;

  private Conversation() {}

  /** The text of a TOOL entry. */
  public static String toolEntry(int round, String callId, String tool, String arguments, String result,
      boolean error) {
    ObjectNode n = JSON.createObjectNode();
    n.put("round", round).put("id", callId).put("tool", tool).put("arguments", arguments).put("result", result)
        .put("error", error);
    return n.toString();
  }

  /** The last {@code maxEntries} entries as messages, never starting inside a tool group. */
  public static List<ChatMessage> history(List<Entry> all, int maxEntries) {
    int from = Math.max(0, all.size() - maxEntries);
    // A window that starts with TOOL entries would send results without the request: drop them.
    while (from < all.size() && all.get(from).role() == Role.TOOL) from++;
    List<ChatMessage> out = new ArrayList<>();
    int i = from;
    while (i < all.size()) {
      Entry e = all.get(i);
      switch (e.role()) {
        case USER -> {
          out.add(UserMessage.from(e.text()));
          i++;
        }
        case ASSISTANT -> {
          int next = i + 1;
          if (next < all.size() && all.get(next).role() == Role.TOOL) {
            i = toolGroup(all, next, e.text(), out);
          } else {
            out.add(AiMessage.from(e.text()));
            i++;
          }
        }
        case TOOL -> i = toolGroup(all, i, "", out);
        case SYSTEM -> i++;
      }
    }
    return out;
  }

  private static int toolGroup(List<Entry> all, int start, String text, List<ChatMessage> out) {
    List<ToolExecutionRequest> requests = new ArrayList<>();
    List<ToolExecutionResultMessage> results = new ArrayList<>();
    int round = Integer.MIN_VALUE;
    int i = start;
    for (; i < all.size() && all.get(i).role() == Role.TOOL; i++) {
      JsonNode n = parse(all.get(i).text());
      if (n == null) continue;
      int r = n.path("round").asInt();
      if (round != Integer.MIN_VALUE && r != round) break;
      round = r;
      String id = n.path("id").asText();
      String tool = ToolNames.safe(n.path("tool").asText());
      requests.add(ToolExecutionRequest.builder().id(id).name(tool).arguments(n.path("arguments").asText()).build());
      results.add(ToolExecutionResultMessage.builder().id(id).toolName(tool).text(n.path("result").asText())
          .isError(n.path("error").asBoolean()).build());
    }
    if (!requests.isEmpty()) {
      out.add(text.isBlank() ? AiMessage.from(requests) : AiMessage.from(text, requests));
      out.addAll(results);
    } else if (!text.isBlank()) {
      out.add(AiMessage.from(text));
    }
    return i;
  }

  private static @Nullable JsonNode parse(String text) {
    try {
      JsonNode n = JSON.readTree(text);
      return n != null && n.isObject() && n.has("id") && n.has("tool") ? n : null;
    } catch (IOException e) {
      return null;
    }
  }
}
