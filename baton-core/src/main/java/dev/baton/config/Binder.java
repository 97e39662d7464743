package dev.baton.config;

import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import org.snakeyaml.engine.v2.exceptions.Mark;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;
import org.snakeyaml.engine.v2.nodes.Tag;

/*
 * Overview: binds a composed YAML node tree onto config records by reflection (key = snake_case of the
 * component; scalars are converted by Scalars), collecting every error with its node's position instead of stopping at the first. A value that
 * cannot be bound yields FAILED, so the enclosing record is not constructed but its other keys are still
 * checked. Impossible values are found by the records' compact constructors; the binder maps the exception
 * back to the key that caused it.
 *
 * Concurrency: one Binder per load, confined to the loading thread.
 *
 * Failure: programming errors (a config type the binder does not support) throw IllegalStateException;
 * everything the user can cause becomes a ConfigError.
 */
final class Binder {

  static final Object FAILED = new Object();

  /** Every dotted key by its last segment, for "did you mean" across sections; per root type. */
  private static final Map<Class<?>, Map<String, List<String>>> KEYS_BY_LAST_SEGMENT =
      new java.util.concurrent.ConcurrentHashMap<>();

  private final String file;
  private final Scalars scalars;
  private final Map<String, List<String>> keysByLastSegment;
  final List<ConfigError> errors = new ArrayList<>();

  Binder(String file, Map<String, String> env, Class<?> root) {
    this.file = file;
    this.scalars = new Scalars(env, this::error);
    this.keysByLastSegment = KEYS_BY_LAST_SEGMENT.computeIfAbsent(root, r -> ConfigDocs.rows(r).stream()
        .map(ConfigDocs.Row::key).collect(Collectors.groupingBy(k -> k.substring(k.lastIndexOf('.') + 1))));
  }

  Object bind(Node node, Type type, String path) {
    Class<?> raw = raw(type);
    if (raw == Optional.class) {
      if (isNull(node)) return Optional.empty();
      Object v = bind(node, arg(type, 0), path);
      return v == FAILED ? FAILED : Optional.of(v);
    }
    if (raw.isRecord()) return bindRecord(node, raw, path);
    if (raw == List.class) return bindList(node, arg(type, 0), path);
    if (raw == Set.class) {
      Object list = bindList(node, arg(type, 0), path);
      if (list == FAILED) return FAILED;
      Set<Object> set = new LinkedHashSet<>((List<?>) list);
      if (set.size() < ((List<?>) list).size()) return error(node, "`" + path + "` lists a value twice; each may appear once.");
      return Collections.unmodifiableSet(set);
    }
    if (raw == Map.class) {
      if (arg(type, 0) != String.class) throw new IllegalStateException("map keys must be String at " + path);
      return bindMap(node, arg(type, 1), path);
    }
    return scalars.bind(node, raw, path);
  }

  private Object bindRecord(Node node, Class<?> type, String path) {
    RecordShape shape = RecordShape.of(type);
    Optional<Object> defaults = shape.defaults();
    if (isNull(node) && defaults.isPresent()) return defaults.get();
    if (!(node instanceof MappingNode map)) {
      return error(node, "`" + display(path) + "` must be a section of `key: value` lines with the keys "
          + quoted(shape.keyNames()) + ".");
    }
    int n = shape.keys.size();
    Object[] values = new Object[n];
    @Nullable Node[] valueNodes = new Node[n];
    defaults.ifPresent(d -> {
      for (int i = 0; i < n; i++) values[i] = shape.valueOf(d, shape.keys.get(i));
    });
    boolean ok = true;
    Map<String, Node> seen = new HashMap<>();
    for (NodeTuple t : map.getValue()) {
      if (!(t.getKeyNode() instanceof ScalarNode keyNode)) {
        error(t.getKeyNode(), "keys in `" + display(path) + "` must be plain names such as "
            + quoted(shape.keyNames()) + ".");
        ok = false;
        continue;
      }
      String key = keyNode.getValue();
      Node first = seen.putIfAbsent(key, keyNode);
      if (first != null) {
        error(keyNode, "`" + child(path, key) + "` is given twice (first at line " + line(first)
            + "); each key may appear once.");
        ok = false;
        continue;
      }
      int i = shape.keyNames().indexOf(key);
      if (i < 0) {
        error(keyNode, unknownKey(key, path, shape.keyNames()));
        ok = false;
        continue;
      }
      Object v = bind(t.getValueNode(), shape.keys.get(i).type(), child(path, key));
      if (v == FAILED) {
        ok = false;
      } else {
        values[i] = v;
        valueNodes[i] = t.getValueNode();
      }
    }
    if (defaults.isEmpty()) {
      for (int i = 0; i < n; i++) {
        if (!seen.containsKey(shape.keys.get(i).name())) {
          error(map, "`" + display(path) + "` needs the key `" + shape.keys.get(i).name() + "`.");
          ok = false;
        }
      }
    }
    if (!ok && defaults.isEmpty()) return FAILED;
    // With defaults in the slots that failed, the constructor still checks the values that bound, so an
    // impossible value is reported even when a sibling key has an error of its own.
    try {
      Object built = shape.construct(values);
      return ok ? built : FAILED;
    } catch (RuntimeException e) {
      return invalid(e, shape, defaults, path, map, values, valueNodes);
    }
  }

  /** Maps an exception of a compact constructor back to the key that caused it. */
  private Object invalid(RuntimeException e, RecordShape shape, Optional<Object> defaults, String path,
      MappingNode map, Object[] values, @Nullable Node[] valueNodes) {
    String msg = e.getMessage() == null ? "has a value that is not allowed" : e.getMessage();
    int culprit = -1;
    for (int i = 0; i < valueNodes.length && culprit < 0; i++) {
      if (valueNodes[i] != null && startsWithWord(msg, shape.keys.get(i).name())) culprit = i;
    }
    for (int i = 0; i < valueNodes.length && culprit < 0; i++) {
      if (valueNodes[i] != null && containsWord(msg, shape.keys.get(i).name())) culprit = i;
    }
    if (culprit < 0 && defaults.isPresent()) { // which given value alone, among defaults, is rejected?
      for (int i = 0; i < valueNodes.length && culprit < 0; i++) {
        if (valueNodes[i] == null) continue;
        Object[] probe = new Object[values.length];
        for (int j = 0; j < probe.length; j++) probe[j] = shape.valueOf(defaults.get(), shape.keys.get(j));
        probe[i] = values[i];
        try {
          shape.construct(probe);
        } catch (RuntimeException alone) {
          culprit = i;
        }
      }
    }
    String text;
    Node at;
    if (culprit >= 0) {
      String key = shape.keys.get(culprit).name();
      at = valueNodes[culprit];
      text = startsWithWord(msg, key) ? "`" + child(path, key) + "`" + msg.substring(key.length())
          : "`" + child(path, key) + "`: " + msg;
    } else {
      at = map;
      text = "`" + display(path) + "`: " + msg;
    }
    for (int i = 0; i < values.length; i++) { // a secret written literally in the file is not shown either
      if (ConfigDocs.isSecret(shape.keys.get(i)) && values[i] instanceof String secret && secret.length() >= 3) {
        text = text.replace(secret, "***");
      }
    }
    return error(at == null ? map : at, mask(text.endsWith(".") ? text : text + "."));
  }

  private Object bindList(Node node, Type element, String path) {
    if (isNull(node)) return List.of();
    if (!(node instanceof SequenceNode seq)) {
      return error(node, "`" + path + "` must be a list (`- item` lines or `[a, b]`).");
    }
    List<Object> out = new ArrayList<>();
    boolean ok = true;
    for (int i = 0; i < seq.getValue().size(); i++) {
      Object v = bind(seq.getValue().get(i), element, path + "[" + i + "]");
      if (v == FAILED) ok = false;
      else out.add(v);
    }
    return ok ? List.copyOf(out) : FAILED;
  }

  private Object bindMap(Node node, Type value, String path) {
    if (isNull(node)) return Map.of();
    if (!(node instanceof MappingNode map)) {
      return error(node, "`" + path + "` must be a section of `name: value` lines.");
    }
    Map<String, Object> out = new LinkedHashMap<>();
    Map<String, Node> seen = new HashMap<>();
    boolean ok = true;
    for (NodeTuple t : map.getValue()) {
      if (!(t.getKeyNode() instanceof ScalarNode keyNode)) {
        error(t.getKeyNode(), "names in `" + path + "` must be plain text.");
        ok = false;
        continue;
      }
      String key = keyNode.getValue();
      Node first = seen.putIfAbsent(key, keyNode);
      if (first != null) {
        error(keyNode, "`" + child(path, key) + "` is given twice (first at line " + line(first)
            + "); each name may appear once.");
        ok = false;
        continue;
      }
      Object v = bind(t.getValueNode(), value, child(path, key));
      if (v == FAILED) ok = false;
      else out.put(key, v);
    }
    return ok ? Collections.unmodifiableMap(out) : FAILED;
  }

  /** Hides substituted environment values (which may be secrets) in a message the binder did not write. */
  private String mask(String text) {
    String out = text;
    for (Map.Entry<String, String> e : scalars.substituted.entrySet()) {
      if (e.getValue().length() >= 3) out = out.replace(e.getValue(), "${" + e.getKey() + "}");
    }
    return out;
  }

  private String unknownKey(String key, String path, List<String> allowed) {
    String where = path.isEmpty() ? "unknown top-level key `" + key + "`" : "unknown key `" + key + "` in `" + path + "`";
    Optional<String> near = Names.closest(key, allowed);
    if (near.isPresent()) return where + "; did you mean `" + near.get() + "`?";
    List<String> elsewhere = keysByLastSegment.getOrDefault(key, List.of());
    if (!elsewhere.isEmpty()) return where + "; did you mean `" + elsewhere.getFirst() + "`?";
    return where + "; allowed keys are " + quoted(allowed) + ".";
  }

  Object error(Node at, String message) {
    Mark mark = at.getStartMark().orElse(null);
    // A mark names its file when the tree was built from several (ConfigLoader.bind); parsed YAML names the label.
    String where = mark == null || mark.getName().isEmpty() ? file : mark.getName();
    errors.add(new ConfigError(where, mark == null ? 1 : mark.getLine() + 1, mark == null ? 1 : mark.getColumn() + 1,
        message));
    return FAILED;
  }

  static String describe(Type type) {
    Class<?> raw = raw(type);
    if (raw == String.class) return "a text";
    if (raw == boolean.class || raw == Boolean.class) return "`true` or `false`";
    if (raw == int.class || raw == Integer.class || raw == long.class || raw == Long.class) return "a whole number";
    if (raw == double.class || raw == Double.class) return "a number";
    if (raw.isEnum()) return "one of " + quoted(enumValues(raw));
    if (raw.isRecord()) return "a section";
    if (raw == List.class || raw == Set.class) return "a list";
    if (raw == Path.class) return "a file path";
    if (raw == URI.class) return "an absolute URL";
    if (raw == Map.class) return "a section of names";
    return raw.getSimpleName();
  }

  static List<String> enumValues(Class<?> type) {
    return Arrays.stream(type.getEnumConstants()).map(c -> Names.enumValue((Enum<?>) c)).toList();
  }

  static Class<?> raw(Type t) {
    if (t instanceof Class<?> c) return c;
    if (t instanceof ParameterizedType p) return (Class<?>) p.getRawType();
    throw new IllegalStateException("unsupported config type " + t);
  }

  static Type arg(Type t, int i) {
    if (t instanceof ParameterizedType p) return p.getActualTypeArguments()[i];
    throw new IllegalStateException("raw generic config type " + t);
  }

  static boolean isNull(Node n) {
    return n instanceof ScalarNode && Tag.NULL.equals(n.getTag());
  }

  private static int line(Node n) {
    return n.getStartMark().map(m -> m.getLine() + 1).orElse(1);
  }

  static String child(String path, String key) {
    return path.isEmpty() ? key : path + "." + key;
  }

  private static String display(String path) {
    return path.isEmpty() ? "baton.yaml" : path;
  }

  static String quoted(List<String> names) {
    return names.stream().map(k -> "`" + k + "`").collect(Collectors.joining(", "));
  }

  private static boolean startsWithWord(String msg, String word) {
    return msg.startsWith(word) && (msg.length() == word.length() || !isWordChar(msg.charAt(word.length())));
  }

  private static boolean containsWord(String msg, String word) {
    return Pattern.compile("(?<![A-Za-z0-9_])" + Pattern.quote(word) + "(?![A-Za-z0-9_])").matcher(msg).find();
  }

  private static boolean isWordChar(char c) {
    return Character.isLetterOrDigit(c) || c == '_';
  }
}
