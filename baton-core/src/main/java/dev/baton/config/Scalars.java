package dev.baton.config;

import java.math.BigInteger;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;

/**
 * Converts one YAML scalar to a config value (text, boolean, whole number, number, path, URL, enum) after
 * replacing {@code ${NAME}} from the environment. The scalar's text is parsed by the target type, not by
 * YAML's implicit tags, so {@code "30000"} and {@code 30_000} are both a number and {@code ${PORT}} works for
 * an {@code int}. A value that came from the environment is never echoed in an error.
 *
 * <p>One instance per load, confined to the loading thread.
 */
final class Scalars {

  /** Where conversion errors go; returns {@link Binder#FAILED}. */
  @FunctionalInterface
  interface ErrorSink {
    Object error(Node at, String message);
  }

  private static final Pattern ENV = Pattern.compile("\\$\\$\\{|\\$\\{([^}]*)}");
  private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
  private static final Pattern WHOLE = Pattern.compile("[-+]?[0-9][0-9_]*");

  private final Map<String, String> env;
  private final ErrorSink sink;
  /** Values substituted from the environment, to be masked wherever a message might echo them. */
  final Map<String, String> substituted = new HashMap<>();

  Scalars(Map<String, String> env, ErrorSink sink) {
    this.env = env;
    this.sink = sink;
  }

  Object bind(Node node, Class<?> type, String path) {
    String expected = Binder.describe(type);
    if (!(node instanceof ScalarNode scalar)) {
      return sink.error(node, "`" + path + "` must be " + expected + ", not a "
          + (node instanceof SequenceNode ? "list" : "section") + ".");
    }
    if (Binder.isNull(node)) {
      return sink.error(node, "`" + path + "` has no value; give " + expected + ", or remove the key to use the"
          + " default.");
    }
    Optional<String> resolved = substitute(scalar, path);
    if (resolved.isEmpty()) return Binder.FAILED;
    String v = resolved.get();
    boolean fromEnv = !v.equals(scalar.getValue()) || scalar.getValue().contains("${");
    String was = fromEnv ? " (the value comes from the environment and is not shown)" : ", was `" + v + "`";
    if (type == String.class) return v;
    String s = v.strip();
    if (type == boolean.class || type == Boolean.class) {
      if (s.equalsIgnoreCase("true")) return true;
      if (s.equalsIgnoreCase("false")) return false;
      return sink.error(node, "`" + path + "` must be `true` or `false`" + was + ".");
    }
    if (type == int.class || type == Integer.class || type == long.class || type == Long.class) {
      boolean isInt = type == int.class || type == Integer.class;
      if (!WHOLE.matcher(s).matches()) return sink.error(node, "`" + path + "` must be a whole number" + was + ".");
      BigInteger b = new BigInteger(s.replace("_", "").replace("+", ""));
      BigInteger min = BigInteger.valueOf(isInt ? Integer.MIN_VALUE : Long.MIN_VALUE);
      BigInteger max = BigInteger.valueOf(isInt ? Integer.MAX_VALUE : Long.MAX_VALUE);
      if (b.compareTo(min) < 0 || b.compareTo(max) > 0) {
        return sink.error(node, "`" + path + "` must be a whole number from " + min + " to " + max + was + ".");
      }
      return isInt ? (Object) b.intValue() : (Object) b.longValue();
    }
    if (type == double.class || type == Double.class) {
      try {
        return Double.parseDouble(s.replace("_", ""));
      } catch (NumberFormatException e) {
        return sink.error(node, "`" + path + "` must be a number" + was + ".");
      }
    }
    if (type == Path.class) {
      try {
        return Path.of(v);
      } catch (InvalidPathException e) {
        return sink.error(node, "`" + path + "` must be a file path" + was + ".");
      }
    }
    if (type == URI.class) {
      try {
        URI uri = new URI(s);
        if (uri.getScheme() == null) throw new URISyntaxException(s, "no scheme");
        return uri;
      } catch (URISyntaxException e) {
        return sink.error(node, "`" + path + "` must be an absolute URL such as `https://host/path`" + was + ".");
      }
    }
    if (type.isEnum()) {
      for (Object c : type.getEnumConstants()) {
        if (Names.enumValue((Enum<?>) c).equals(s)) return c;
      }
      List<String> allowed = Binder.enumValues(type);
      String hint = fromEnv ? "" : Names.closest(s, allowed).map(c -> "; did you mean `" + c + "`?").orElse("");
      return sink.error(node, "`" + path + "` must be " + expected + was + (hint.isEmpty() ? "." : hint));
    }
    throw new IllegalStateException("config type " + type.getName() + " at " + path + " is not supported");
  }

  /** Replaces {@code ${NAME}} from the environment (<code>$${</code> is a literal <code>${</code>). */
  private Optional<String> substitute(ScalarNode node, String path) {
    String raw = node.getValue();
    if (!raw.contains("${")) return Optional.of(raw);
    Matcher m = ENV.matcher(raw);
    StringBuilder out = new StringBuilder();
    boolean ok = true;
    while (m.find()) {
      if (m.group(1) == null) {
        m.appendReplacement(out, Matcher.quoteReplacement("${"));
        continue;
      }
      String name = m.group(1);
      if (!ENV_NAME.matcher(name).matches()) {
        sink.error(node, "`" + path + "` has `${" + name + "}`, which is not an environment variable name; use"
            + " `${NAME}` with letters, digits and `_` (write `$${` for a literal `${`).");
        ok = false;
        continue;
      }
      String value = env.get(name);
      if (value == null) {
        sink.error(node, "`" + path + "` uses the environment variable `" + name + "`, which is not set; set it"
            + " or change the value.");
        ok = false;
        continue;
      }
      substituted.put(name, value);
      m.appendReplacement(out, Matcher.quoteReplacement(value));
    }
    m.appendTail(out);
    return ok ? Optional.of(out.toString()) : Optional.empty();
  }
}
