package dev.baton.spring.boot;

import dev.baton.config.BatonConfig;
import dev.baton.config.ConfigException;
import dev.baton.config.ConfigLoader;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;
import org.snakeyaml.engine.v2.common.FlowStyle;
import org.snakeyaml.engine.v2.common.ScalarStyle;
import org.snakeyaml.engine.v2.exceptions.Mark;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;
import org.snakeyaml.engine.v2.nodes.Tag;
import org.springframework.boot.origin.Origin;
import org.springframework.boot.origin.OriginLookup;
import org.springframework.boot.origin.OriginTrackedValue;
import org.springframework.boot.origin.TextResourceOrigin;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.EnumerablePropertySource;
import org.springframework.core.env.PropertySource;
import org.springframework.core.io.ClassPathResource;
import org.springframework.core.io.FileSystemResource;
import org.springframework.core.io.Resource;

/*
 * Overview: the `baton` subtree of Spring's Environment, rebuilt as the YAML node tree Baton's Binder reads
 * (ConfigLoader.bind), so application.yaml under `baton:` is validated exactly as baton.yaml is: the same keys
 * (snake_case, as written; no relaxed binding), the same messages, every problem at once. Each value's node
 * carries a mark at its Spring origin (file and 0-based line/column of TextResourceOrigin), so an error names
 * application.yaml:line:column; a value from a source without a text origin (a system property, a command-line
 * argument) is named by its property source and key.
 *
 * Precedence is Spring's: the first property source (in Environment order) that gives a key wins, so
 * `--baton.server.port=9000` overrides application.yaml. A source that gives any element of a list gives the
 * whole list (as Spring does for YAML lists). Property names are taken as written, so environment variables
 * such as BATON_SERVER_PORT are not read (their mapping to snake_case keys is ambiguous); use ${NAME} inside a
 * value, which Baton resolves from the process environment as in baton.yaml.
 *
 * Concurrency: used once at start, on the thread creating the context.
 */
/** Binds the {@code baton.*} keys of a Spring {@link ConfigurableEnvironment} with Baton's own binder. */
public final class EnvironmentConfig {

  /** The prefix of Baton's keys in the Spring Environment. */
  public static final String PREFIX = "baton";

  private EnvironmentConfig() {}

  /**
   * Binds and validates.
   *
   * @throws ConfigException with every problem, each at the file and line Spring read the value from
   */
  public static BatonConfig bind(ConfigurableEnvironment env) {
    return bind(env, new ConfigLoader(System.getenv()));
  }

  /** {@link #bind(ConfigurableEnvironment)} resolving {@code ${NAME}} with {@code loader}'s environment. */
  public static BatonConfig bind(ConfigurableEnvironment env, ConfigLoader loader) {
    Map<Object, Object> root = new LinkedHashMap<>();
    Set<String> listsTaken = new HashSet<>(); // list paths given by a higher-precedence source
    for (PropertySource<?> source : env.getPropertySources()) {
      if (!(source instanceof EnumerablePropertySource<?> e)) continue;
      Set<String> listsHere = new HashSet<>();
      for (String name : e.getPropertyNames()) {
        if (!name.startsWith(PREFIX + ".")) continue;
        List<Object> path = segments(name.substring(PREFIX.length() + 1));
        if (path.isEmpty()) continue;
        String list = firstListPath(name);
        if (list != null && listsTaken.contains(list)) continue;
        if (list != null) listsHere.add(list);
        Object raw = e.getProperty(name);
        Origin origin = raw instanceof OriginTrackedValue t ? t.getOrigin()
            : e instanceof OriginLookup<?> ? originOf(e, name) : null;
        Object value = raw instanceof OriginTrackedValue t ? t.getValue() : raw;
        put(root, path, new Leaf(value == null ? null : String.valueOf(value), mark(origin, source, name)));
      }
      listsTaken.addAll(listsHere);
    }
    return loader.bind(node(root, new Mark("application properties", 0, 0, 0, new int[0], 0)),
        "application properties (" + PREFIX + ".*)", BatonConfig.class);
  }

  private record Leaf(@Nullable String value, Mark mark) {}

  @SuppressWarnings("unchecked")
  private static @Nullable Origin originOf(EnumerablePropertySource<?> source, String name) {
    return ((OriginLookup<String>) source).getOrigin(name);
  }

  /** "a.b[0].c" → ["a", "b", 0, "c"]; "[x.y]" is the map key "x.y". */
  static List<Object> segments(String name) {
    List<Object> out = new ArrayList<>();
    int i = 0;
    StringBuilder cur = new StringBuilder();
    while (i < name.length()) {
      char c = name.charAt(i);
      if (c == '.') {
        if (!cur.isEmpty()) out.add(cur.toString());
        cur.setLength(0);
        i++;
      } else if (c == '[') {
        if (!cur.isEmpty()) out.add(cur.toString());
        cur.setLength(0);
        int end = name.indexOf(']', i);
        if (end < 0) end = name.length();
        String inside = name.substring(i + 1, end);
        out.add(inside.matches("\\d{1,9}") ? (Object) Integer.parseInt(inside) : inside);
        i = end + 1;
      } else {
        cur.append(c);
        i++;
      }
    }
    if (!cur.isEmpty()) out.add(cur.toString());
    return out;
  }

  private static @Nullable String firstListPath(String name) {
    int i = name.indexOf('[');
    while (i >= 0) {
      int end = name.indexOf(']', i);
      if (end > i && name.substring(i + 1, end).matches("\\d{1,9}")) return name.substring(0, i);
      i = name.indexOf('[', i + 1);
    }
    return null;
  }

  @SuppressWarnings("unchecked")
  private static void put(Map<Object, Object> map, List<Object> path, Leaf leaf) {
    Map<Object, Object> cur = map;
    for (int i = 0; i < path.size() - 1; i++) {
      Object key = path.get(i);
      Object next = cur.get(key);
      if (!(next instanceof Map<?, ?>)) {
        next = path.get(i + 1) instanceof Integer ? new TreeMap<Object, Object>() : new LinkedHashMap<Object, Object>();
        cur.put(key, next);
      }
      cur = (Map<Object, Object>) next;
    }
    cur.putIfAbsent(path.getLast(), leaf); // first source wins
  }

  private static Node node(Object value, Mark parent) {
    if (value instanceof Leaf l) {
      return l.value == null
          ? new ScalarNode(Tag.NULL, true, "", ScalarStyle.PLAIN, Optional.of(l.mark), Optional.of(l.mark))
          : new ScalarNode(Tag.STR, true, l.value, ScalarStyle.PLAIN, Optional.of(l.mark), Optional.of(l.mark));
    }
    Map<?, ?> m = (Map<?, ?>) value;
    Mark first = firstMark(m).orElse(parent);
    if (!m.isEmpty() && m.keySet().stream().allMatch(k -> k instanceof Integer)) {
      List<Node> items = new ArrayList<>();
      for (Object v : m.values()) items.add(node(v, first));
      return new SequenceNode(Tag.SEQ, true, items, FlowStyle.BLOCK, Optional.of(first), Optional.of(first));
    }
    List<NodeTuple> tuples = new ArrayList<>();
    for (Map.Entry<?, ?> en : m.entrySet()) {
      Node v = node(en.getValue(), first);
      Mark at = v.getStartMark().orElse(first);
      tuples.add(new NodeTuple(new ScalarNode(Tag.STR, true, String.valueOf(en.getKey()), ScalarStyle.PLAIN,
          Optional.of(at), Optional.of(at)), v));
    }
    return new MappingNode(Tag.MAP, true, tuples, FlowStyle.BLOCK, Optional.of(first), Optional.of(first));
  }

  private static Optional<Mark> firstMark(Map<?, ?> m) {
    for (Object v : m.values()) {
      if (v instanceof Leaf l) return Optional.of(l.mark);
      if (v instanceof Map<?, ?> inner) {
        Optional<Mark> f = firstMark(inner);
        if (f.isPresent()) return f;
      }
    }
    return Optional.empty();
  }

  private static Mark mark(@Nullable Origin origin, PropertySource<?> source, String name) {
    Origin o = origin;
    while (o != null && !(o instanceof TextResourceOrigin) && o.getParent() != null) o = o.getParent();
    if (o instanceof TextResourceOrigin t && t.getLocation() != null) {
      return new Mark(fileName(t.getResource(), source), 0, t.getLocation().getLine(), t.getLocation().getColumn(),
          new int[0], 0);
    }
    return new Mark(source.getName() + " (" + name + ")", 0, 0, 0, new int[0], 0);
  }

  private static String fileName(@Nullable Resource r, PropertySource<?> source) {
    if (r instanceof ClassPathResource c) return c.getPath();
    if (r instanceof FileSystemResource f) return f.getPath();
    if (r != null && r.getFilename() != null) return r.getFilename();
    return source.getName();
  }
}
