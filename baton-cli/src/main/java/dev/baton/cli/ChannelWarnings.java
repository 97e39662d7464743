package dev.baton.cli;

import dev.baton.config.ConfigError;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.api.lowlevel.Compose;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.schema.CoreSchema;

/**
 * What a valid configuration file says that is probably not what its author meant: a platform channel
 * ({@code channels.telegram|slack|discord|whatsapp}) whose section gives keys (its secrets, typically) but
 * no {@code enabled} key. Such a channel is off ({@code enabled} defaults to false) and its webhook answers
 * 404, which the platform reports only as failed deliveries. {@code enabled: false} says the channel is meant
 * to be off and silences the warning. {@code baton config check} prints these warnings and {@code baton serve}
 * prints and logs them at start-up, each at the section's {@code file:line:column}; neither refuses the file.
 */
final class ChannelWarnings {

  /** The platform channels; {@code channels.api} is enabled by default, so it cannot be silently off. */
  static final List<String> PLATFORMS = List.of("telegram", "slack", "discord", "whatsapp");

  private ChannelWarnings() {}

  /** The warnings of a file that {@code ConfigLoader} loaded; none for a file it cannot read. */
  static List<ConfigError> of(Path file) {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return List.of();
    }
    return of(text, file.toString());
  }

  /** The warnings of YAML text; {@code label} names it in the warnings. */
  static List<ConfigError> of(String yaml, String label) {
    Optional<Node> root;
    try {
      LoadSettings settings = LoadSettings.builder().setLabel(label).setUseMarks(true).setSchema(new CoreSchema())
          .build();
      root = new Compose(settings).composeString(yaml);
    } catch (YamlEngineException e) {
      return List.of(); // the loader reports it
    }
    List<ConfigError> out = new ArrayList<>();
    Optional<MappingNode> channels = root.flatMap(r -> section(r, "channels"));
    if (channels.isEmpty()) return out;
    for (NodeTuple t : channels.get().getValue()) {
      if (!(t.getKeyNode() instanceof ScalarNode name) || !PLATFORMS.contains(name.getValue())) continue;
      if (!(t.getValueNode() instanceof MappingNode platform)) continue;
      List<String> given = new ArrayList<>();
      boolean enabledGiven = false;
      for (NodeTuple k : platform.getValue()) {
        if (!(k.getKeyNode() instanceof ScalarNode key)) continue;
        if (key.getValue().equals("enabled")) {
          enabledGiven = true;
        } else {
          given.add(key.getValue());
        }
      }
      if (enabledGiven || given.isEmpty()) continue;
      String channel = name.getValue();
      out.add(new ConfigError(label, line(name), column(name), "`channels." + channel + "` gives "
          + String.join(", ", given) + " but not `enabled`, so the channel is off and /webhooks/" + channel
          + " answers 404; add `enabled: true` to serve it, or `enabled: false` if it is meant to be off."));
    }
    return out;
  }

  /** How {@code config check} and {@code serve} print a warning. */
  static String format(ConfigError w) {
    return "Warning: " + w;
  }

  private static Optional<MappingNode> section(Node node, String key) {
    if (!(node instanceof MappingNode map)) return Optional.empty();
    for (NodeTuple t : map.getValue()) {
      if (t.getKeyNode() instanceof ScalarNode k && k.getValue().equals(key)
          && t.getValueNode() instanceof MappingNode m) {
        return Optional.of(m);
      }
    }
    return Optional.empty();
  }

  private static int line(Node n) {
    return n.getStartMark().map(m -> m.getLine() + 1).orElse(1);
  }

  private static int column(Node n) {
    return n.getStartMark().map(m -> m.getColumn() + 1).orElse(1);
  }
}
