package dev.baton.tools.internal;

import dev.baton.spi.BatonJson;
import dev.baton.spi.tool.ToolSpec;
import dev.baton.tools.Tool;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/** The tools by name. Immutable once built; thread-safe. */
public final class Registry {
  private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9_.-]{0,63}");
  private final Map<String, Tool> tools;
  private final List<ToolSpec> specs;

  public Registry(Collection<Tool> tools) {
    Map<String, Tool> m = new LinkedHashMap<>();
    for (Tool t : tools) {
      if (!NAME.matcher(t.name()).matches()) {
        throw new IllegalArgumentException("tool name '" + t.name()
            + "' must be lower case letters, digits, '.', '_' or '-', starting with a letter, at most 64");
      }
      try {
        if (!BatonJson.parse(t.inputSchema()).isObject()) throw new IllegalArgumentException("not an object");
      } catch (Exception e) {
        throw new IllegalArgumentException("tool '" + t.name() + "' has an input schema that is not a JSON object");
      }
      if (m.putIfAbsent(t.name(), t) != null) throw new IllegalArgumentException("two tools named '" + t.name() + "'");
    }
    this.tools = Map.copyOf(m);
    this.specs = m.values().stream().map(t -> new ToolSpec(t.name(), t.description(), t.inputSchema())).toList();
  }

  public Optional<Tool> find(String name) {
    return Optional.ofNullable(tools.get(name));
  }

  public List<ToolSpec> specs() {
    return specs;
  }
}
