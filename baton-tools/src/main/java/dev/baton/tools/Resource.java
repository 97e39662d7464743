package dev.baton.tools;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Objects;

/**
 * A resource a tool call touches, as a lock (P5): its kind, its canonical name and the access the call needs.
 * The lock key is {@code kind:name}; two calls lock the same thing exactly when their keys are equal, so names
 * must be canonical. {@link #path} canonicalises a slash-separated path: {@code a/../b}, {@code ./b} and
 * {@code b//} are all {@code b}.
 *
 * @param kind what kind of thing ({@code workspace}, {@code shared-file}, {@code shared-counter}, ...); no
 *     {@code ':'}
 * @param name the canonical name within the kind
 * @param access shared or exclusive
 */
public record Resource(String kind, String name, Access access) {

  public Resource {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(access, "access");
    if (kind.isBlank() || kind.indexOf(':') >= 0) {
      throw new IllegalArgumentException("resource kind must be non-blank without ':', was '" + kind + "'");
    }
  }

  /** A resource whose name is taken as it is (already canonical: an id, a counter name, ...). */
  public static Resource of(String kind, String name, Access access) {
    return new Resource(kind, name, access);
  }

  /**
   * A resource named by a path, canonicalised: empty and {@code .} segments dropped, {@code ..} applied.
   *
   * @throws IllegalArgumentException if the path climbs above its root ({@code ../x}, {@code a/../../x})
   */
  public static Resource path(String kind, String path, Access access) {
    return new Resource(kind, canonicalPath(path), access);
  }

  /** The canonical form of a relative, slash-separated path ({@code ""} for the root). */
  public static String canonicalPath(String path) {
    Deque<String> parts = new ArrayDeque<>();
    for (String seg : path.replace('\\', '/').split("/")) {
      if (seg.isEmpty() || seg.equals(".")) continue;
      if (seg.equals("..")) {
        if (parts.isEmpty()) throw new IllegalArgumentException("path climbs above its root: " + path);
        parts.removeLast();
      } else {
        parts.addLast(seg);
      }
    }
    return String.join("/", parts);
  }

  /** The lock key: {@code kind:name}. */
  public String key() {
    return kind + ":" + name;
  }
}
