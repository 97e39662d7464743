package dev.baton.config;

import java.io.IOException;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.api.lowlevel.Compose;
import org.snakeyaml.engine.v2.exceptions.Mark;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.schema.CoreSchema;

/**
 * Reads {@code baton.yaml} into a validated {@link BatonConfig}.
 *
 * <p>Keys are the snake_case names of the config records' components; enum values are written in lower
 * snake_case; a missing key takes the value of its record's {@code defaults()}; {@code ${NAME}} inside a
 * value is replaced from the environment given to the constructor (<code>$${</code> is a literal <code>${</code>).
 *
 * <p>Every problem is collected, not just the first: malformed YAML, unknown keys (with a "did you mean"
 * when one is close), duplicate keys, wrong types, impossible values (as the records' compact constructors
 * reject them) and unset environment variables. They are thrown together as a {@link ConfigException}, each
 * as {@code file:line:column: sentence}. Values taken from the environment are never shown in messages.
 *
 * <p><b>Concurrency.</b> Immutable and thread-safe; each call works on its own state.
 */
public final class ConfigLoader {

  private final Map<String, String> env;

  /** A loader that resolves {@code ${NAME}} from {@code env} (tests pass a map; the CLI the process's). */
  public ConfigLoader(Map<String, String> env) {
    this.env = Map.copyOf(env);
  }

  /** A loader that resolves {@code ${NAME}} from {@link System#getenv()}. */
  public static ConfigLoader withSystemEnvironment() {
    return new ConfigLoader(System.getenv());
  }

  /**
   * Whether a valid configuration file gives {@code section.key} itself (rather than leaving it to its
   * default), e.g. {@code declares(file, "storage", "backend")}. Call after {@link #load} succeeded.
   */
  public static boolean declares(Path file, String section, String key) {
    try {
      Object root = new org.snakeyaml.engine.v2.api.Load(LoadSettings.builder().setSchema(new CoreSchema()).build())
          .loadFromString(Files.readString(file, StandardCharsets.UTF_8));
      return root instanceof Map<?, ?> top && top.get(section) instanceof Map<?, ?> sec && sec.containsKey(key);
    } catch (IOException | YamlEngineException e) {
      return false;
    }
  }

  /**
   * Loads and validates a file.
   *
   * @throws ConfigException listing every problem, each with {@code file:line:column}
   */
  public BatonConfig load(Path file) {
    String label = file.toString();
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw single(label, "the file does not exist; pass the path of a baton.yaml.");
    } catch (MalformedInputException e) {
      throw single(label, "the file is not UTF-8 text; save it as UTF-8.");
    } catch (IOException e) {
      throw single(label, "the file cannot be read (" + e.getClass().getSimpleName() + "); check its permissions.");
    }
    return parse(text, label);
  }

  /** Loads and validates YAML text; {@code label} names it in error messages. */
  public BatonConfig parse(String yaml, String label) {
    return parse(yaml, label, BatonConfig.class);
  }

  /** Loads any config record type (for sections others load on their own). */
  public <T extends Record> T parse(String yaml, String label, Class<T> type) {
    Objects.requireNonNull(yaml, "yaml");
    Optional<Node> root;
    try {
      LoadSettings settings = LoadSettings.builder().setLabel(label).setUseMarks(true).setSchema(new CoreSchema()).build();
      root = new Compose(settings).composeString(yaml);
    } catch (MarkedYamlEngineException e) {
      Mark m = e.getProblemMark().or(e::getContextMark).orElse(null);
      String problem = Optional.ofNullable(e.getProblem()).orElse("the YAML cannot be parsed");
      throw new ConfigException(List.of(new ConfigError(label, m == null ? 1 : m.getLine() + 1,
          m == null ? 1 : m.getColumn() + 1, "malformed YAML: " + problem
              + "; write `key: value` lines, indent nested keys with spaces, close every bracket and quote.")));
    } catch (YamlEngineException e) {
      throw single(label, "malformed YAML: " + firstLine(e.getMessage()) + "; write one YAML document of"
          + " `key: value` lines.");
    }
    if (root.isEmpty()) {
      Optional<Object> defaults = RecordShape.of(type).defaults();
      if (defaults.isPresent()) return type.cast(defaults.get());
      throw single(label, "the file is empty; give the keys " + Binder.quoted(RecordShape.of(type).keyNames()) + ".");
    }
    return bind(root.get(), label, type);
  }

  /**
   * Validates and binds a node tree built by other means than parsing one YAML text, e.g. from a Spring
   * {@code Environment} (baton-spring-boot-starter). A node whose start mark has a name (a file) reports its
   * errors at that file, so the keys of one tree may come from several files; others are reported at
   * {@code label}.
   *
   * @throws ConfigException listing every problem
   */
  public <T extends Record> T bind(Node root, String label, Class<T> type) {
    Objects.requireNonNull(root, "root");
    Binder binder = new Binder(label, env, type);
    Object result = binder.bind(root, type, "");
    if (result == Binder.FAILED || !binder.errors.isEmpty()) {
      if (binder.errors.isEmpty()) throw new IllegalStateException("binding failed without an error");
      throw new ConfigException(binder.errors.stream()
          .sorted((a, b) -> a.line() != b.line() ? Integer.compare(a.line(), b.line())
              : Integer.compare(a.column(), b.column()))
          .toList());
    }
    return type.cast(result);
  }

  private static ConfigException single(String label, String message) {
    return new ConfigException(List.of(new ConfigError(label, 1, 1, message)));
  }

  private static String firstLine(@Nullable String s) {
    if (s == null) return "unknown problem";
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }
}
