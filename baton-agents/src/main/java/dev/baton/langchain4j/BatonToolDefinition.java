package dev.baton.langchain4j;

import dev.baton.tool.ToolSpec;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * A LangChain4j {@code @Tool} method described for Baton's tool runtime: what the runtime registers so that
 * calls of this tool take the declared locks, are deduplicated by idempotency key and are bounded by the
 * timeout.
 *
 * @param spec name, description and JSON Schema of the arguments
 * @param resources the {@link BatonResource} declarations, in declaration order
 * @param timeout the {@link BatonTimeout}, if any
 * @param handler runs the method; called by the runtime, on a thread that carries the turn's context
 */
public record BatonToolDefinition(
    ToolSpec spec, List<Resource> resources, Optional<Duration> timeout, Handler handler) {

  public BatonToolDefinition {
    resources = List.copyOf(resources);
  }

  /** A resource template and its lock mode. */
  public record Resource(String template, boolean exclusive) {}

  /** Runs the tool with JSON arguments and returns its result as JSON. */
  @FunctionalInterface
  public interface Handler {
    String invoke(String argumentsJson) throws Exception;
  }

  /** The resource names of one call: each template with {@code {arg}} replaced by that argument's text. */
  public List<Resource> resourcesFor(com.fasterxml.jackson.databind.JsonNode arguments) {
    return resources.stream().map(r -> new Resource(expand(r.template(), arguments), r.exclusive())).toList();
  }

  static String expand(String template, com.fasterxml.jackson.databind.JsonNode args) {
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
      String name = template.substring(open + 1, close);
      com.fasterxml.jackson.databind.JsonNode v = args.path(name);
      if (v.isMissingNode() || v.isNull()) {
        throw new IllegalArgumentException("resource '" + template + "' needs argument '" + name + "'");
      }
      out.append(v.isTextual() ? v.asText() : v.toString());
      i = close + 1;
    }
    return out.toString();
  }
}
