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
 *   {arg}  path normalisation: NFKC (fullwidth ／ and ． become / and .), '\' becomes '/', then empty and '.'
 *          segments go and '..' is applied (a/../b = ./b = b// = b). With a `root`, an absolute path under the
 *          root is made relative to it (/srv/files/b = b). Refused (`rejected_path`, nothing runs): climbing
 *          above the root (../x), an absolute path outside the root, a percent-encoded octet (%2e%2e: a server
 *          that decodes it would see another path than the lock).
 *   {=arg} the value exactly (ids: an order number, a ticket key).
 * A value that is not a string is taken as its JSON text. A missing argument is `invalid_arguments`.
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
    StringBuilder name = new StringBuilder();
    for (Part p : parts) {
      switch (p) {
        case Text t -> name.append(t.text());
        case Arg a -> {
          JsonNode v = args.get(a.name());
          if (v == null || v.isNull()) {
            throw new ToolException("invalid_arguments", "argument '" + a.name() + "' is needed (it names what this"
                + " call locks)");
          }
          String text = v.isTextual() ? v.asText() : v.toString();
          name.append(a.exact() ? text : path(a.name(), text));
        }
      }
    }
    return Resource.of(kind, name.toString(), access);
  }

  private String path(String arg, String value) {
    if (PERCENT_OCTET.matcher(value).find()) {
      throw new ToolException("rejected_path", "argument '" + arg + "' contains a percent-encoded octet");
    }
    String v = Normalizer.normalize(value, Normalizer.Form.NFKC).replace('\\', '/');
    boolean absolute = v.startsWith("/");
    String canonical;
    try {
      canonical = Resource.canonicalPath(absolute ? v.substring(1) : v);
    } catch (IllegalArgumentException e) {
      throw new ToolException("rejected_path", "argument '" + arg + "' climbs above the server's folder");
    }
    if (!absolute) return canonical;
    if (root.isEmpty()) return "/" + canonical;
    String full = "/" + canonical;
    if (root.equals("/")) return canonical;
    if (full.equals(root)) return "";
    if (full.startsWith(root + "/")) return full.substring(root.length() + 1);
    throw new ToolException("rejected_path", "argument '" + arg + "' is outside the server's folder");
  }

  @Override
  public String toString() {
    return source;
  }
}
