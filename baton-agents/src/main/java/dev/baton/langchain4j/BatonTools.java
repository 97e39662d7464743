package dev.baton.langchain4j;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.Turn;
import dev.baton.agents.internal.IdempotencyKeys;
import dev.baton.tool.ToolCall;
import dev.baton.tool.ToolResult;
import dev.baton.tool.ToolSpec;
import dev.langchain4j.agent.tool.Tool;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.agent.tool.ToolSpecifications;
import dev.langchain4j.internal.JsonSchemaElementJsonUtils;
import dev.langchain4j.service.tool.DefaultToolExecutor;
import dev.langchain4j.service.tool.ToolExecutor;
import java.io.IOException;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CancellationException;

/*
 * Overview: two halves of one bridge. definitions() describes each @Tool method for Baton's tool runtime
 * (spec, @BatonResource templates, @BatonTimeout, a handler that invokes the method through LangChain4j's
 * DefaultToolExecutor, which parses and coerces the JSON arguments). executors() gives AiServices one
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
public final class BatonTools {

  private static final ObjectMapper JSON = new ObjectMapper();

  private BatonTools() {}

  /** The {@code @Tool} methods of {@code toolObjects}, described for registration with the tool runtime. */
  public static List<BatonToolDefinition> definitions(Object... toolObjects) {
    List<BatonToolDefinition> out = new ArrayList<>();
    for (Object o : toolObjects) {
      for (Method m : o.getClass().getDeclaredMethods()) {
        if (!m.isAnnotationPresent(Tool.class)) continue;
        ToolSpecification spec = ToolSpecifications.toolSpecificationFrom(m);
        List<BatonToolDefinition.Resource> resources = new ArrayList<>();
        for (BatonResource r : m.getAnnotationsByType(BatonResource.class)) {
          resources.add(new BatonToolDefinition.Resource(r.value(), r.exclusive()));
        }
        Optional<Duration> timeout = Optional.ofNullable(m.getAnnotation(BatonTimeout.class))
            .map(t -> Duration.ofMillis(t.millis()));
        DefaultToolExecutor invoker = new DefaultToolExecutor(o, m);
        String name = spec.name();
        BatonToolDefinition.Handler handler = args -> asJson(invoker.execute(
            ToolExecutionRequest.builder().id("baton").name(name).arguments(args).build(), "baton"));
        out.add(new BatonToolDefinition(new ToolSpec(name, spec.description() == null ? "" : spec.description(),
            schemaJson(spec)), resources, timeout, handler));
      }
    }
    return out;
  }

  /** What {@code AiServices.tools(Map)} takes: each tool routed through the running turn's {@link dev.baton.tool.Tools}. */
  public static Map<ToolSpecification, ToolExecutor> executors(Object... toolObjects) {
    Map<ToolSpecification, ToolExecutor> out = new LinkedHashMap<>();
    for (Object o : toolObjects) {
      for (ToolSpecification spec : ToolSpecifications.toolSpecificationsFrom(o)) {
        out.put(spec, (request, memoryId) -> callThroughRuntime(request, String.valueOf(memoryId)));
      }
    }
    return out;
  }

  private static String callThroughRuntime(ToolExecutionRequest request, String memoryId) {
    TurnScope scope = TurnScope.require("a Baton-routed @Tool");
    Turn turn = scope.turn;
    String args = request.arguments() == null || request.arguments().isBlank() ? "{}" : request.arguments();
    int occurrence = scope.occurrence(memoryId, request.name(), args);
    String key = IdempotencyKeys.forCall(turn.context().messageIds(), "langchain4j:" + memoryId, 0,
        request.name(), args, occurrence);
    ToolResult result;
    try {
      result = turn.tools().call(new ToolCall(request.name(), args, Optional.of(key)));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CancellationException("turn cancelled during tool " + request.name());
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

  /** A method's text result as a JSON value: JSON stays, anything else becomes a JSON string. */
  static String asJson(String text) {
    try {
      JSON.readTree(text);
      return text.isBlank() ? "\"\"" : text;
    } catch (IOException e) {
      return JsonNodeFactory.instance.textNode(text).toString();
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
