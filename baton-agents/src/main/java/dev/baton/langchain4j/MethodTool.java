package dev.baton.langchain4j;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.baton.spi.BatonJson;
import dev.baton.tools.Access;
import dev.baton.tools.Resource;
import dev.baton.tools.Tool;
import dev.baton.tools.ToolContext;
import dev.baton.tools.ToolException;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.exception.ToolArgumentsException;
import dev.langchain4j.service.tool.DefaultToolExecutor;
import java.io.IOException;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/*
 * Overview: one LangChain4j @Tool method as a tool of Baton's runtime. The runtime takes the locks that
 * resources() names (from @BatonResource templates), bounds the call by timeout() (@BatonTimeout or
 * agent.tool_call_timeout_ms), deduplicates by the caller's idempotency key and runs execute() on its own
 * virtual thread with the turn's BatonContext bound. execute() invokes the method through LangChain4j's
 * DefaultToolExecutor, which parses and coerces the JSON arguments exactly as AiServices would.
 *
 * Failure: bad arguments -> invalid_arguments (recorded); an exception from the method -> tool_error with its
 * message, not recorded (a re-run tries again: Baton cannot tell a transient failure from a permanent one);
 * interrupted (timeout, cancelled turn) -> InterruptedException, which the runtime reports as timeout.
 */
final class MethodTool implements Tool {

  private static final ObjectMapper JSON = BatonJson.TOOL_RESULTS; // tool results are not bounded to 1 MiB

  private final String name;
  private final String description;
  private final String schema;
  private final List<Template> resources;
  private final Optional<Duration> timeout;
  private final DefaultToolExecutor invoker;

  record Template(String kind, String name, Access access, boolean path) {}

  MethodTool(String name, String description, String schema, Object target, Method method) {
    this.name = name;
    this.description = description;
    this.schema = schema;
    List<Template> rs = new ArrayList<>();
    for (BatonResource r : method.getAnnotationsByType(BatonResource.class)) {
      int colon = r.value().indexOf(':');
      if (colon <= 0) {
        throw new IllegalArgumentException("@BatonResource(\"" + r.value() + "\") on " + method
            + " must be kind:name, e.g. account:{id}");
      }
      rs.add(new Template(r.value().substring(0, colon), r.value().substring(colon + 1),
          r.exclusive() ? Access.EXCLUSIVE : Access.SHARED, r.path()));
    }
    this.resources = List.copyOf(rs);
    this.timeout = Optional.ofNullable(method.getAnnotation(BatonTimeout.class)).map(t -> Duration.ofMillis(t.millis()));
    this.invoker = DefaultToolExecutor.builder().object(target).originalMethod(method).methodToInvoke(method)
        .wrapToolArgumentsExceptions(true).propagateToolExecutionExceptions(true).build();
  }

  @Override
  public String name() {
    return name;
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
    List<Resource> out = new ArrayList<>(resources.size());
    for (Template t : resources) {
      String expanded = expand(t.name(), arguments);
      try {
        out.add(t.path() ? Resource.path(t.kind(), expanded, t.access()) : Resource.of(t.kind(), expanded, t.access()));
      } catch (IllegalArgumentException e) {
        throw new ToolException("rejected_path", String.valueOf(e.getMessage()));
      }
    }
    return out;
  }

  @Override
  public Optional<Duration> timeout() {
    return timeout;
  }

  @Override
  public JsonNode execute(JsonNode arguments, ToolContext context) throws Exception {
    ToolExecutionRequest request = ToolExecutionRequest.builder().id("baton").name(name)
        .arguments(arguments.toString()).build();
    String text;
    try {
      text = invoker.execute(request, context.turn().session().value());
    } catch (ToolArgumentsException e) {
      throw new ToolException("invalid_arguments", String.valueOf(rootMessage(e)));
    } catch (RuntimeException e) {
      if (Thread.currentThread().isInterrupted() || causedBy(e, InterruptedException.class)) {
        throw new InterruptedException("tool " + name + " interrupted");
      }
      throw new ToolException("tool_error", String.valueOf(rootMessage(e)), true);
    }
    return asJson(text);
  }

  /** {@code {arg}} placeholders replaced by the argument's text. */
  static String expand(String template, JsonNode args) {
    StringBuilder out = new StringBuilder();
    int i = 0;
    while (i < template.length()) {
      int open = template.indexOf('{', i);
      int close = open < 0 ? -1 : template.indexOf('}', open);
      if (open < 0 || close < 0) {
        out.append(template, i, template.length());
        break;
      }
      out.append(template, i, open);
      String arg = template.substring(open + 1, close);
      JsonNode v = args.path(arg);
      if (v.isMissingNode() || v.isNull()) {
        throw new ToolException("invalid_arguments", "argument '" + arg + "' is required");
      }
      out.append(v.isTextual() ? v.asText() : v.toString());
      i = close + 1;
    }
    return out.toString();
  }

  /** The method's text result as JSON: JSON stays JSON, anything else becomes a JSON string. */
  static JsonNode asJson(String text) {
    if (text.isBlank()) return JsonNodeFactory.instance.textNode(text);
    try {
      return JSON.readTree(text);
    } catch (IOException e) {
      return JsonNodeFactory.instance.textNode(text);
    }
  }

  private static String rootMessage(Throwable t) {
    Throwable c = t;
    while (c.getCause() != null && c.getCause() != c) c = c.getCause();
    return c.getMessage() != null ? c.getMessage() : c.getClass().getSimpleName();
  }

  private static boolean causedBy(Throwable t, Class<? extends Throwable> type) {
    for (Throwable c = t; c != null; c = c.getCause()) if (type.isInstance(c)) return true;
    return false;
  }
}
