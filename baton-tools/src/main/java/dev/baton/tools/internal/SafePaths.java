package dev.baton.tools.internal;

import dev.baton.SessionKey;
import dev.baton.spi.BatonJson;
import dev.baton.tools.Resource;
import dev.baton.tools.ToolException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.regex.Pattern;

/*
 * Overview. The workspace's folders and the paths agents name in them. Under tools.workspace_root each
 * session has its own folder, sessions/<readable prefix of its key>-<12 hex of the key's SHA-256> (the hash
 * keeps two keys with the same prefix apart, P1), all sessions share shared/, and the shared counters and
 * ledgers live in shared-state/, out of reach of the file tools.
 *
 * resolve() turns an agent-given relative path into a file under a root, or refuses it with rejected_path.
 * Refused: empty; absolute ("/x", "C:\x", "\\host", "~"); control characters; backslashes; any
 * percent-encoded octet ("%2e%2e", "%2F"); any character whose NFKC form differs (fullwidth solidus U+FF0F,
 * fullwidth full stop U+FF0E, one-dot leader U+2024, ...) and slash look-alikes NFKC keeps (U+2215 division
 * slash, U+2044 fraction slash, U+29F8 big solidus); a path whose ".." climbs above the root; and a path
 * whose nearest existing ancestor resolves (symbolic links followed) outside the root's real path, or whose
 * final component is a symbolic link. "a/../b" is allowed and is "b".
 *
 * Concurrency. Stateless. A link created between this check and the open is caught by opening with
 * NOFOLLOW_LINKS (callers do) for the final component; directories are created by Baton only.
 */
public final class SafePaths {
  private static final Pattern PERCENT = Pattern.compile("%[0-9A-Fa-f]{2}");
  private static final String SLASH_LOOKALIKES = "\u2215\u2044\u29F8\u29F5\u29F9\uFE68\u2216";

  private SafePaths() {}

  /** The workspace folder of {@code session}: its key with unsafe characters as '_' (at most 40) and a hash. */
  public static Path sessionFolder(Path workspaceRoot, SessionKey session) {
    String safe = session.value().replaceAll("[^A-Za-z0-9._-]", "_");
    if (safe.length() > 40) safe = safe.substring(0, 40);
    return workspaceRoot.resolve("sessions").resolve(safe + "-" + BatonJson.sha256(session.value()).substring(0, 12));
  }

  /** The folder the {@code shared.*} file tools work in. */
  public static Path sharedFolder(Path workspaceRoot) {
    return workspaceRoot.resolve("shared");
  }

  /** Where {@code shared.counter.*} and {@code shared.ledger.*} keep their files. */
  public static Path sharedStateFolder(Path workspaceRoot) {
    return workspaceRoot.resolve("shared-state");
  }

  /** The canonical relative form ({@code ""} for the root itself). */
  public static String canonical(String raw) {
    if (raw.isEmpty()) return "";
    for (int i = 0; i < raw.length(); i++) {
      char c = raw.charAt(i);
      if (c < 0x20 || c == 0x7f) throw reject(raw, "it contains a control character");
      if (c == '\\') throw reject(raw, "it contains a backslash");
      if (SLASH_LOOKALIKES.indexOf(c) >= 0) throw reject(raw, "it contains a look-alike of '/' or '\\'");
    }
    if (PERCENT.matcher(raw).find()) throw reject(raw, "it contains a percent-encoded character");
    if (!Normalizer.normalize(raw, Normalizer.Form.NFKC).equals(raw)) {
      throw reject(raw, "it contains a Unicode compatibility character (e.g. a fullwidth '/' or '.')");
    }
    if (raw.startsWith("/") || raw.startsWith("~") || raw.matches("^[A-Za-z]:.*")) {
      throw reject(raw, "it is absolute");
    }
    try {
      return Resource.canonicalPath(raw);
    } catch (IllegalArgumentException e) {
      throw reject(raw, "it climbs out of its folder");
    }
  }

  /** The file for {@code raw} under {@code root} (created if missing), after every check above. */
  public static Path resolve(Path root, String raw) {
    String rel = canonical(raw);
    try {
      Files.createDirectories(root);
      Path realRoot = root.toRealPath();
      Path target = rel.isEmpty() ? realRoot : realRoot.resolve(rel).normalize();
      if (!target.startsWith(realRoot)) throw reject(raw, "it climbs out of its folder");
      if (!target.equals(realRoot) && Files.isSymbolicLink(target)) throw reject(raw, "it is a symbolic link");
      Path existing = target;
      while (existing != null && !Files.exists(existing, LinkOption.NOFOLLOW_LINKS)) existing = existing.getParent();
      if (existing == null || !existing.toRealPath().startsWith(realRoot)) {
        throw reject(raw, "a symbolic link leads out of its folder");
      }
      return target;
    } catch (IOException e) {
      throw new ToolException("io_error", "cannot resolve path '" + printable(raw) + "'", true);
    }
  }

  private static ToolException reject(String raw, String why) {
    return new ToolException("rejected_path", "path '" + printable(raw) + "' was rejected: " + why);
  }

  private static String printable(String raw) {
    StringBuilder b = new StringBuilder();
    raw.codePoints().limit(200).forEach(cp -> {
      if (cp < 0x20 || cp == 0x7f || cp > 0x7e) b.append(String.format("\\u%04x", cp)); else b.appendCodePoint(cp);
    });
    return b.toString();
  }
}
