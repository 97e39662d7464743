package dev.baton.langchain4j;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.Turn;
import dev.baton.agents.internal.IdempotencyKeys;
import dev.baton.spi.BatonJson;
import dev.baton.spi.tool.ToolCall;
import dev.baton.spi.tool.ToolResult;
import dev.langchain4j.agent.tool.Tool;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.agent.tool.ToolSpecifications;
import dev.langchain4j.internal.JsonSchemaElementJsonUtils;
import dev.langchain4j.service.tool.ToolExecutor;
import java.io.IOException;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CancellationException;

/*
 * Overview: two halves of one bridge. tools() turns each @Tool method into a tool of Baton's runtime
 * (MethodTool: @BatonResource locks, @BatonTimeout, invocation through LangChain4j's DefaultToolExecutor,
 * which parses and coerces the JSON arguments). executors() gives AiServices one
 * ToolExecutor per method that does not invoke the method itself but calls the tool by name through the
 * running turn's Tools, with an idempotency key: so the runtime's locks, idempotency, timeouts and deadlock
 * detection apply to every call the model makes, and a turn re-run after a crash does not repeat one.
 *
 * Concurrency: executors run on whatever thread AiServices uses; they find the turn through TurnScope, which
 * BatonExecutors carries onto LangChain4j's tool threads.
 *
 * Failure: a failed call (timeout, deadlock victim, tool error) is returned to the model as an error JSON
 * ({"error":{"code","message"}}), as the openai agent does.
 */
/** Runs LangChain4j {@code @Tool} methods through Baton's tool runtime. */
public final class LangChain4jTools {

  private static final ObjectMapper JSON = BatonJson.TOOL_RESULTS; // tool results are not bounded to 1 MiB

  private LangChain4jTools() {}

  /**
   * The {@code @Tool} methods of {@code toolObjects} as tools of Baton's runtime, to register with
   * {@code dev.baton.tools.BatonTools.builder().tool(...)}: {@link BatonResource} locks, {@link BatonTimeout},
   * idempotency and deadlock detection then apply to every call.
   *
   * @throws IllegalArgumentException if a {@link BatonResource} is not {@code kind:name}
   */
  public static List<dev.baton.tools.Tool> tools(Object... toolObjects) {
    List<dev.baton.tools.Tool> out = new ArrayList<>();
    for (Object o : toolObjects) {
      for (Method m : o.getClass().getDeclaredMethods()) {
        if (!m.isAnnotationPresent(Tool.class)) continue;
        ToolSpecification spec = renamed(ToolSpecifications.toolSpecificationFrom(m));
        out.add(new MethodTool(spec.name(), spec.description() == null ? "" : spec.description(), schemaJson(spec),
            o, m));
      }
    }
    return out;
  }

  /** What {@code AiServices.tools(Map)} takes: each tool routed through the running turn's {@link dev.baton.spi.tool.Tools}. */
  public static Map<ToolSpecification, ToolExecutor> executors(Object... toolObjects) {
    Map<ToolSpecification, ToolExecutor> out = new LinkedHashMap<>();
    for (Object o : toolObjects) {
      for (ToolSpecification spec : ToolSpecifications.toolSpecificationsFrom(o)) {
        out.put(renamed(spec), (request, memoryId) -> callThroughRuntime(request, String.valueOf(memoryId)));
      }
    }
    return out;
  }

  /**
   * Tools already registered with the runtime that are not {@code @Tool} methods — the tools of MCP servers
   * ({@code dev.baton.mcp.McpTools}), built-ins — for {@code AiServices.tools(Map)}: each spec's JSON schema
   * becomes the tool's parameters, its name a provider-safe one ({@code files.write_file} becomes
   * {@code files_write_file}), and every call goes by the runtime's name through the running turn's tools, with
   * an idempotency key, like {@link #executors}. A spec whose schema is not a JSON object schema is left out.
   */
  public static Map<ToolSpecification, ToolExecutor> executorsFor(List<dev.baton.spi.tool.ToolSpec> specs) {
    Map<ToolSpecification, ToolExecutor> out = new LinkedHashMap<>();
    java.util.Set<String> taken = new java.util.HashSet<>();
    for (dev.baton.spi.tool.ToolSpec spec : specs) {
      Object parameters;
      try {
        @SuppressWarnings("unchecked")
        Map<String, Object> schema = JSON.readValue(spec.inputSchemaJson(), Map.class);
        parameters = JsonSchemaElementJsonUtils.fromMap(schema);
      } catch (IOException | RuntimeException e) {
        continue;
      }
      if (!(parameters instanceof dev.langchain4j.model.chat.request.json.JsonObjectSchema object)) continue;
      String safe = spec.name().replaceAll("[^A-Za-z0-9_-]", "_");
      String name = safe;
      for (int n = 2; !taken.add(name); n++) name = safe + "_" + n;
      String baton = spec.name();
      out.put(ToolSpecification.builder().name(name).description(spec.description()).parameters(object).build(),
          (request, memoryId) -> callThroughRuntime(baton, request, String.valueOf(memoryId)));
    }
    return out;
  }

  /**
   * The tool runtime's name for a LangChain4j tool: lower case letters, digits and {@code . _ -}, starting
   * with a letter ({@code getBalance} becomes {@code get_balance}). The model sees this name too, so calls
   * route without a lookup table.
   */
  public static String batonName(String name) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (Character.isUpperCase(c)) {
        if (i > 0 && b.length() > 0 && b.charAt(b.length() - 1) != '_') b.append('_');
        b.append(Character.toLowerCase(c));
      } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-') {
        b.append(c);
      } else {
        b.append('_');
      }
    }
    if (b.length() == 0 || b.charAt(0) < 'a' || b.charAt(0) > 'z') b.insert(0, "t_");
    return b.toString();
  }

  private static ToolSpecification renamed(ToolSpecification spec) {
    String name = batonName(spec.name());
    return name.equals(spec.name()) ? spec : spec.toBuilder().name(name).build();
  }

  private static String callThroughRuntime(ToolExecutionRequest request, String memoryId) {
    return callThroughRuntime(request.name(), request, memoryId);
  }

  private static String callThroughRuntime(String tool, ToolExecutionRequest request, String memoryId) {
    TurnScope scope = TurnScope.require("a Baton-routed @Tool");
    Turn turn = scope.turn;
    String args = request.arguments() == null || request.arguments().isBlank() ? "{}" : request.arguments();
    int occurrence = scope.occurrence(memoryId, tool, args);
    String key = IdempotencyKeys.forCall(turn.context().messageIds(), "langchain4j:" + memoryId, 0,
        tool, args, occurrence);
    ToolResult result;
    try {
      result = turn.tools().call(new ToolCall(tool, args, Optional.of(key)));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CancellationException("turn cancelled during tool " + tool);
    }
    return switch (result) {
      case ToolResult.Ok ok -> fromJson(ok.json());
      case ToolResult.Failed f -> {
        ObjectNode n = JsonNodeFactory.instance.objectNode();
        n.putObject("error").put("code", f.code()).put("message", f.message());
        yield n.toString();
      }
    };
  }

  private static String schemaJson(ToolSpecification spec) {
    try {
      return spec.parameters() == null ? "{\"type\":\"object\",\"properties\":{}}"
          : JSON.writeValueAsString(JsonSchemaElementJsonUtils.toMap(spec.parameters()));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The text the model sees: a JSON string is unquoted, other JSON stays as it is. */
  static String fromJson(String json) {
    try {
      JsonNode n = JSON.readTree(json);
      return n != null && n.isTextual() ? n.asText() : json;
    } catch (IOException e) {
      return json;
    }
  }
}
