package dev.baton.spring.ai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.Turn;
import dev.baton.spi.tool.ToolCall;
import dev.baton.spi.tool.ToolResult;
import dev.baton.tools.Resource;
import dev.baton.tools.Tool;
import dev.baton.tools.ToolContext;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.function.BiFunction;
import org.jspecify.annotations.Nullable;
import org.springframework.ai.tool.ToolCallback;
import org.springframework.ai.tool.definition.ToolDefinition;

/*
 * Overview: two halves of one bridge, as LangChain4jTools is for LangChain4j. tool()/tools() make each Spring AI
 * ToolCallback (from @Tool methods via ToolCallbacks.from(...), or any ToolCallback) a tool of Baton's runtime,
 * with declared resources and a timeout; the runtime invokes the callback. routed() gives the ChatClient
 * callbacks that do not run the tool but call it by name through the running turn's Tools with an idempotency
 * key, so locks, idempotency, timeouts and deadlock detection apply to every call the model makes, and a turn
 * re-run after a crash does not repeat a completed call (P6).
 *
 * Failure: a failed call (timeout, deadlock victim, tool error) is returned to the model as error JSON
 * {"error":{"code","message"}}, as the openai agent does.
 */
/** Runs Spring AI tools ({@code @Tool} methods, {@link ToolCallback}s) through Baton's tool runtime. */
public final class SpringAiTools {

  private static final ObjectMapper JSON = new ObjectMapper();

  private SpringAiTools() {}

  /** Which resources a call locks, from its arguments (e.g. {@code Resource.of("account", args.get("id"), WRITE)}). */
  @FunctionalInterface
  public interface Resources extends BiFunction<JsonNode, ToolContext, List<Resource>> {}

  /**
   * Each callback as a tool of Baton's runtime without resources or own timeout (the runtime's
   * {@code tool_call_timeout_ms} applies), to register with {@code BatonTools.builder().tool(...)} or, with the
   * starter, to declare as {@code Tool} beans.
   */
  public static List<Tool> tools(ToolCallback... callbacks) {
    List<Tool> out = new ArrayList<>();
    for (ToolCallback c : callbacks) out.add(tool(c, (a, ctx) -> List.of(), null));
    return out;
  }

  /**
   * One callback as a tool of Baton's runtime that locks {@code resources} of each call (held until the call
   * ends, in the runtime's deadlock-free order) and ends after {@code timeout} (null: the runtime's).
   */
  public static Tool tool(ToolCallback callback, Resources resources, @Nullable Duration timeout) {
    Objects.requireNonNull(callback, "callback");
    Objects.requireNonNull(resources, "resources");
    ToolDefinition d = callback.getToolDefinition();
    String name = batonName(d.name());
    return new Tool() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public String description() {
        return d.description() == null ? "" : d.description();
      }

      @Override
      public String inputSchema() {
        return d.inputSchema();
      }

      @Override
      public List<Resource> resources(JsonNode arguments, ToolContext context) {
        return resources.apply(arguments, context);
      }

      @Override
      public Optional<Duration> timeout() {
        return Optional.ofNullable(timeout);
      }

      @Override
      public JsonNode execute(JsonNode arguments, ToolContext context) {
        String result = callback.call(arguments.toString());
        try {
          return JSON.readTree(result);
        } catch (IOException notJson) {
          return JsonNodeFactory.instance.textNode(result);
        }
      }
    };
  }

  /**
   * What the {@code ChatClient} gets ({@code defaultToolCallbacks(...)}): for each callback one whose call goes to
   * the tool of the same (Baton) name through the running turn's tools, with an idempotency key made of the
   * turn's message ids, the tool, its arguments and how many identical calls the turn made before. Register the
   * tools themselves with the runtime ({@link #tools}). Definitions carry Baton's tool names, so the model's
   * calls route without a table.
   */
  public static ToolCallback[] routed(ToolCallback... callbacks) {
    ToolCallback[] out = new ToolCallback[callbacks.length];
    for (int i = 0; i < callbacks.length; i++) {
      ToolDefinition d = callbacks[i].getToolDefinition();
      ToolDefinition renamed = ToolDefinition.builder().name(batonName(d.name())).description(d.description())
          .inputSchema(d.inputSchema()).build();
      out[i] = new ToolCallback() {
        @Override
        public ToolDefinition getToolDefinition() {
          return renamed;
        }

        @Override
        public String call(String toolInput) {
          return callThroughRuntime(renamed.name(), toolInput);
        }
      };
    }
    return out;
  }

  /**
   * Callbacks for the tools of Baton's runtime as it lists them ({@code BatonTools.specs()}, the tools of every
   * source registered there: {@code Tool} beans, {@link #tools}, an MCP client's), each routed through the
   * running turn's tools as {@link #routed(ToolCallback...)} is. Give them to the ChatClient so the model is
   * offered exactly what the runtime runs.
   */
  public static ToolCallback[] routed(List<dev.baton.spi.tool.ToolSpec> specs) {
    ToolCallback[] out = new ToolCallback[specs.size()];
    for (int i = 0; i < out.length; i++) {
      dev.baton.spi.tool.ToolSpec spec = specs.get(i);
      ToolDefinition d = ToolDefinition.builder().name(spec.name()).description(spec.description())
          .inputSchema(spec.inputSchemaJson()).build();
      out[i] = new ToolCallback() {
        @Override
        public ToolDefinition getToolDefinition() {
          return d;
        }

        @Override
        public String call(String toolInput) {
          return callThroughRuntime(d.name(), toolInput);
        }
      };
    }
    return out;
  }

  /**
   * The runtime's name of a Spring AI tool: lower case letters, digits and {@code . _ -}, starting with a letter
   * ({@code getBalance} becomes {@code get_balance}).
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

  private static String callThroughRuntime(String tool, @Nullable String input) {
    TurnScope scope = TurnScope.require("a Baton-routed Spring AI tool");
    Turn turn = scope.turn;
    String args = input == null || input.isBlank() ? "{}" : input;
    int occurrence = scope.occurrence(tool, args);
    String key = idempotencyKey(turn.context().messageIds(), tool, args, occurrence);
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

  static String idempotencyKey(List<String> messageIds, String tool, String args, int occurrence) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      for (String part : List.of(String.join(",", messageIds), "spring-ai", tool, args, Integer.toString(occurrence))) {
        md.update(part.getBytes(StandardCharsets.UTF_8));
        md.update((byte) 0);
      }
      return "spring-ai:" + HexFormat.of().formatHex(md.digest());
    } catch (NoSuchAlgorithmException e) {
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
