package dev.baton.config;

import java.io.IOException;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/**
 * Generates the table of every configuration key (dotted key, type, default, meaning from {@link Doc}) from
 * the config records themselves, so {@code docs/configuration.md} cannot drift from the code: a test compares
 * the committed table with {@link #markdownTable()}. Regenerate with {@code ./baton config keys --write
 * docs/configuration.md}, or {@link #main} with the path of the file.
 */
public final class ConfigDocs {

  public static final String BEGIN = "<!-- BEGIN GENERATED KEY TABLE: do not edit; see the note above -->";
  public static final String END = "<!-- END GENERATED KEY TABLE -->";

  /** One key: its dotted name, type, default and meaning. */
  public record Row(String key, String type, String defaultValue, String meaning, boolean secret) {}

  private ConfigDocs() {}

  /** Every key of {@link BatonConfig}, sections first then their keys, in declaration order. */
  public static List<Row> rows() {
    return rows(BatonConfig.class);
  }

  static List<Row> rows(Class<?> root) {
    List<Row> out = new ArrayList<>();
    walk(RecordShape.of(root), RecordShape.of(root).defaults().orElse(null), "", out);
    return out;
  }

  private static void walk(RecordShape shape, @Nullable Object defaults, String prefix, List<Row> out) {
    for (RecordShape.Key k : shape.keys) {
      String key = prefix.isEmpty() ? k.name() : prefix + "." + k.name();
      @Nullable Object def = defaults == null ? null : shape.valueOf(defaults, k);
      boolean secret = isSecret(k);
      Class<?> raw = Binder.raw(k.type());
      out.add(new Row(key, typeName(k.type()), raw.isRecord() ? "" : defaultText(def, defaults != null, secret),
          k.doc(), secret));
      if (raw.isRecord()) {
        walk(RecordShape.of(raw), def, key, out);
      } else if (raw == List.class && Binder.raw(Binder.arg(k.type(), 0)).isRecord()) {
        RecordShape el = RecordShape.of(Binder.raw(Binder.arg(k.type(), 0)));
        walk(el, el.defaults().orElse(null), key + "[]", out);
      } else if (raw == Map.class && Binder.raw(Binder.arg(k.type(), 1)).isRecord()) {
        RecordShape el = RecordShape.of(Binder.raw(Binder.arg(k.type(), 1)));
        walk(el, el.defaults().orElse(null), key + ".<name>", out);
      }
    }
  }

  private static final java.util.regex.Pattern SECRET_NAME =
      java.util.regex.Pattern.compile("(^|_)(token|secret|password|api_key)$");

  /**
   * A key is secret when marked {@link Secret}, or when its name says so ({@code *_token}, {@code *_secret},
   * {@code password}, {@code api_key}), so that a secret added without the annotation is still covered by the
   * test that keeps secrets out of {@code toString()}.
   */
  static boolean isSecret(RecordShape.Key k) {
    return k.component().isAnnotationPresent(Secret.class)
        || (k.component().getType() == String.class && SECRET_NAME.matcher(k.name()).find());
  }

  static String typeName(Type t) {
    Class<?> raw = Binder.raw(t);
    if (raw == String.class) return "string";
    if (raw == boolean.class || raw == Boolean.class) return "boolean";
    if (raw == int.class || raw == Integer.class) return "int";
    if (raw == long.class || raw == Long.class) return "long";
    if (raw == double.class || raw == Double.class) return "number";
    if (raw.isEnum()) return String.join(" \\| ", Binder.enumValues(raw));
    if (raw.isRecord()) return "section";
    if (raw == Optional.class) return "optional " + typeName(Binder.arg(t, 0));
    if (raw == List.class) return "list of " + typeName(Binder.arg(t, 0));
    if (raw == java.util.Set.class) return "set of " + typeName(Binder.arg(t, 0));
    if (raw == Path.class) return "path";
    if (raw == java.net.URI.class) return "URL";
    if (raw == Map.class) return "map of name → " + typeName(Binder.arg(t, 1));
    return raw.getSimpleName();
  }

  private static String defaultText(@Nullable Object v, boolean hasDefaults, boolean secret) {
    if (!hasDefaults) return "(required)";
    if (v == null) return "";
    if (secret) return v.toString().isEmpty() ? "`\"\"`" : "(set)";
    if (v instanceof Enum<?> e) return "`" + Names.enumValue(e) + "`";
    if (v instanceof String s) return "`\"" + s + "\"`";
    if (v instanceof Optional<?> o) return o.isEmpty() ? "(none)" : defaultText(o.get(), true, false);
    if (v instanceof java.util.Collection<?> l) return l.isEmpty() ? "`[]`" : "`" + l + "`";
    if (v instanceof Map<?, ?> m) return m.isEmpty() ? "`{}`" : "`" + m + "`";
    return "`" + v + "`";
  }

  /** The markdown table of every key. */
  public static String markdownTable() {
    StringBuilder b = new StringBuilder();
    b.append("| key | type | default | meaning |\n|---|---|---|---|\n");
    for (Row r : rows()) {
      String meaning = r.meaning().replace("|", "\\|") + (r.secret() ? " **Secret.**" : "");
      b.append("| `").append(r.key()).append("` | ").append(r.type()).append(" | ").append(r.defaultValue())
          .append(" | ").append(meaning.strip()).append(" |\n");
    }
    return b.toString();
  }

  /** {@code doc} with the text between {@link #BEGIN} and {@link #END} replaced by the current table. */
  public static String withTable(String doc) {
    int begin = doc.indexOf(BEGIN);
    int end = doc.indexOf(END);
    if (begin < 0 || end < begin) {
      throw new IllegalArgumentException("the file has no " + BEGIN + " ... " + END + " block");
    }
    return doc.substring(0, begin + BEGIN.length()) + "\n" + markdownTable() + doc.substring(end);
  }

  /** Rewrites the key table in the given markdown file (default {@code docs/configuration.md}). */
  public static void main(String[] args) throws IOException {
    Path file = Path.of(args.length > 0 ? args[0] : "docs/configuration.md");
    String doc = Files.readString(file, StandardCharsets.UTF_8);
    Files.writeString(file, withTable(doc), StandardCharsets.UTF_8);
    System.out.println("updated the key table in " + file);
  }

  static String keyList() {
    return rows().stream().map(Row::key).collect(Collectors.joining(", "));
  }
}
