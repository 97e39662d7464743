package dev.baton.mcp.internal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.config.McpConfig;
import dev.baton.tools.Access;
import dev.baton.tools.Resource;
import dev.baton.tools.ToolException;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/*
 * Overview. One lock rule of tools.mcp.servers.<s>.resources: `kind:template` over a call's arguments, rendered
 * into a Resource before the call runs. The model writes the arguments, so the rendering is built to make two
 * spellings of one file the SAME lock (over-locking only costs waiting; under-locking lets two writers in):
 *   {arg}  a path. A template with one is a path template: the values are put in first, raw, and then the
 *          WHOLE part after `kind:` (its text, every value, {=arg} ones too) is normalised once, as one path:
 *          NFKC (fullwidth ／ and ． become / and .), '\' becomes '/', then empty and '.' segments go and '..' is
 *          applied (a/../b = ./b = b// = b; {dir}/{name} with "a" and "/b" = a/b). It is absolute when it starts
 *          with '/' (an empty value and the separator after it do not count: {dir}/{name} with "" and "b" = b).
 *          With a `root`, an absolute path under the root is made relative to it (/srv/files/b = b), once, over
 *          the whole path. Refused (`rejected_path`, nothing runs): climbing above the root (../x), an absolute
 *          path outside the root, a percent-encoded octet, checked after NFKC (%2e%2e, ％２ｅ: a server that
 *          decodes it would see another path than the lock). A path value must be a JSON string: a number, an
 *          array or an object is `invalid_arguments` (an array is not locked per element).
 *   {=arg} the value exactly (ids: an order number, a ticket key); a value that is not a string is taken as its
 *          JSON text. In a path template it is part of the path and normalised with it.
 * A missing argument is `invalid_arguments`.
 *
 * Concurrency. Immutable; thread-safe.
 */
final class LockTemplate {
  private static final Pattern PLACEHOLDER = Pattern.compile("\\{(=?)([A-Za-z_][A-Za-z0-9_]*)\\}");
  private static final Pattern PERCENT_OCTET = Pattern.compile("%[0-9A-Fa-f]{2}");

  private sealed interface Part permits Text, Arg {}

  private record Text(String text) implements Part {}

  private record Arg(String name, boolean exact) implements Part {}

  private final String kind;
  private final List<Part> parts;
  private final Access access;
  private final String root;
  private final String source;

  LockTemplate(McpConfig.LockRule rule) {
    this.source = rule.lock();
    int colon = source.indexOf(':');
    this.kind = source.substring(0, colon);
    this.access = rule.access() == McpConfig.LockAccess.SHARED ? Access.SHARED : Access.EXCLUSIVE;
    this.root = rule.root().isEmpty() ? "" : "/" + Resource.canonicalPath(rule.root().substring(1));
    List<Part> ps = new ArrayList<>();
    Matcher m = PLACEHOLDER.matcher(source);
    int at = colon + 1;
    while (m.find()) {
      if (m.start() > at) ps.add(new Text(source.substring(at, m.start())));
      ps.add(new Arg(m.group(2), !m.group(1).isEmpty()));
      at = m.end();
    }
    if (at < source.length()) ps.add(new Text(source.substring(at)));
    this.parts = List.copyOf(ps);
  }

  /** The argument names the template uses. */
  List<String> arguments() {
    return parts.stream().filter(p -> p instanceof Arg).map(p -> ((Arg) p).name()).toList();
  }

  Resource render(JsonNode args) {
    boolean isPath = parts.stream().anyMatch(p -> p instanceof Arg a && !a.exact());
    StringBuilder name = new StringBuilder();
    // For a path template: whether a leading '/' makes the path absolute. An empty value and the separator text
    // right after it add nothing ({dir}/{name} with dir "" is just {name}).
    boolean decided = false;
    boolean absolute = false;
    boolean afterEmpty = false;
    for (Part p : parts) {
      String piece = switch (p) {
        case Text t -> t.text();
        case Arg a -> value(a, args);
      };
      if (isPath) {
        piece = Normalizer.normalize(piece, Normalizer.Form.NFKC).replace('\\', '/');
        if (!decided) {
          if (p instanceof Arg && piece.isEmpty()) {
            afterEmpty = true;
          } else if (!(afterEmpty && p instanceof Text && piece.chars().allMatch(c -> c == '/'))) {
            absolute = piece.startsWith("/");
            decided = !piece.isEmpty();
          }
        }
      }
      name.append(piece);
    }
    return Resource.of(kind, isPath ? path(name.toString(), absolute) : name.toString(), access);
  }

  private static String value(Arg a, JsonNode args) {
    JsonNode v = args.get(a.name());
    if (v == null || v.isNull()) {
      throw new ToolException("invalid_arguments", "argument '" + a.name() + "' is needed (it names what this"
          + " call locks)");
    }
    if (a.exact()) return v.isTextual() ? v.asText() : v.toString();
    if (!v.isTextual()) {
      throw new ToolException("invalid_arguments", "argument '" + a.name() + "' must be a string (it names the"
          + " path this call locks), was " + v.getNodeType().name().toLowerCase(java.util.Locale.ROOT));
    }
    return v.asText();
  }

  /** The whole path part of the key, NFKC-normalised already: checked, canonicalised, and the root applied once. */
  private String path(String joined, boolean absolute) {
    String v = Normalizer.normalize(joined, Normalizer.Form.NFKC); // again: a value may compose with its neighbour
    if (PERCENT_OCTET.matcher(v).find()) { // after NFKC: fullwidth ％２ｅ is %2e by now
      throw new ToolException("rejected_path", "the path this call locks (" + source + ") contains a"
          + " percent-encoded octet");
    }
    String canonical;
    try {
      canonical = Resource.canonicalPath(v.replaceFirst("^/+", ""));
    } catch (IllegalArgumentException e) {
      throw new ToolException("rejected_path", "the path this call locks (" + source + ") climbs above the"
          + " server's folder");
    }
    if (!absolute) return canonical;
    if (root.isEmpty()) return "/" + canonical;
    String full = "/" + canonical;
    if (root.equals("/")) return canonical;
    if (full.equals(root)) return "";
    if (full.startsWith(root + "/")) return full.substring(root.length() + 1);
    throw new ToolException("rejected_path", "the path this call locks (" + source + ") is outside the server's"
        + " folder");
  }

  @Override
  public String toString() {
    return source;
  }
}
