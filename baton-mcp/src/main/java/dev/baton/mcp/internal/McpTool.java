package dev.baton.mcp.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.tools.Resource;
import dev.baton.tools.Tool;
import dev.baton.tools.ToolContext;
import dev.baton.tools.ToolException;
import io.modelcontextprotocol.spec.McpSchema;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/*
 * Overview. One tool of an MCP server as a Baton tool `<server>.<tool>`: its description and JSON input schema
 * as the server listed them at start-up, its locks from the server's lock rules, its timeout the server's
 * timeout_ms. execute() runs on the runtime's holder thread after the locks are taken and sends tools/call;
 * the runtime's timeout interrupts it, which cancels the request at the server (ServerConnection).
 *
 * Result: the call's structuredContent when the server gives one, else {"text": ...} of its text contents
 * (other content kinds as {"content": [...]}). isError = true becomes ToolException `mcp_error` (recorded for
 * idempotency: the server answered). A result longer than max_result_chars is cut before it goes on (to the
 * model and the idempotency store): text to its first max_result_chars characters, then `… [truncated N chars]`;
 * structured or other content whose JSON text is longer becomes {"text": <that JSON text, cut the same way>,
 * "truncated": true} (cut JSON is no longer JSON, so it is passed on as text).
 *
 * Concurrency. Immutable; one instance serves every call.
 */
public final class McpTool implements Tool {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private final String name;
  private final String mcpName;
  private final String description;
  private final String schema;
  private final List<LockTemplate> locks;
  private final ServerConnection server;

  McpTool(String name, McpSchema.Tool tool, List<LockTemplate> locks, ServerConnection server) {
    this.name = name;
    this.mcpName = tool.name();
    String d = tool.description() != null ? tool.description() : tool.title() != null ? tool.title() : "";
    this.description = d.isBlank() ? "Tool " + tool.name() + " of MCP server " + server.name() : d;
    ObjectNode s = tool.inputSchema() == null ? MAPPER.createObjectNode() : MAPPER.valueToTree(tool.inputSchema());
    if (!s.has("type")) s.put("type", "object");
    this.schema = s.toString();
    this.locks = List.copyOf(locks);
    this.server = server;
  }

  @Override
  public String name() {
    return name;
  }

  /** The tool's name at its server. */
  public String mcpName() {
    return mcpName;
  }

  @Override
  public String description() {
    return description;
  }

  @Override
  public String inputSchema() {
    return schema;
  }

  @Override
  public List<Resource> resources(JsonNode arguments, ToolContext context) {
    List<Resource> out = new ArrayList<>(locks.size());
    for (LockTemplate t : locks) out.add(t.render(arguments));
    return out;
  }

  @Override
  public Optional<Duration> timeout() {
    return Optional.of(Duration.ofMillis(server.config().timeoutMs()));
  }

  @Override
  public JsonNode execute(JsonNode arguments, ToolContext context) throws Exception {
    @SuppressWarnings("unchecked")
    Map<String, Object> args = MAPPER.convertValue(arguments, Map.class);
    McpSchema.CallToolResult r = server.call(mcpName, args);
    if (Boolean.TRUE.equals(r.isError())) {
      String text = text(r);
      if (text.length() > 2000) text = text.substring(0, 2000) + "...";
      throw new ToolException("mcp_error", "MCP tool " + name + " failed: " + (text.isEmpty() ? "no details" : text));
    }
    int max = (int) server.config().maxResultChars();
    ObjectNode out = context.json().objectNode();
    if (r.structuredContent() != null) return capped(MAPPER.valueToTree(r.structuredContent()), max, out);
    boolean allText = r.content() == null || r.content().stream().allMatch(c -> c instanceof McpSchema.TextContent);
    if (allText) {
      String text = text(r);
      out.put("text", cut(text, max));
      if (text.length() > max) out.put("truncated", true);
      return out;
    }
    out.set("content", MAPPER.valueToTree(r.content()));
    return capped(out, max, context.json().objectNode());
  }

  /** {@code value} if its JSON text fits in {@code max} characters, else that text cut, in {@code into}. */
  private static JsonNode capped(JsonNode value, int max, ObjectNode into) {
    String json = value.toString();
    if (json.length() <= max) return value;
    into.put("text", cut(json, max));
    into.put("truncated", true);
    return into;
  }

  /** The first {@code max} characters and `… [truncated N chars]`, or {@code s} if it fits. */
  static String cut(String s, int max) {
    if (s.length() <= max) return s;
    int end = max;
    if (end > 0 && Character.isHighSurrogate(s.charAt(end - 1))) end--; // never half a character
    return s.substring(0, end) + "… [truncated " + (s.length() - end) + " chars]";
  }

  private static String text(McpSchema.CallToolResult r) {
    if (r.content() == null) return "";
    StringBuilder b = new StringBuilder();
    for (McpSchema.Content c : r.content()) {
      if (c instanceof McpSchema.TextContent t && t.text() != null) {
        if (!b.isEmpty()) b.append('\n');
        b.append(t.text());
      }
    }
    return b.toString();
  }
}
