package dev.baton.tools;

/** How a tool call holds a resource: many {@link #SHARED} holders at once, or one {@link #EXCLUSIVE}. */
public enum Access {
  SHARED,
  EXCLUSIVE;

  /** The stronger of two accesses to one resource. */
  public Access max(Access other) {
    return this == EXCLUSIVE || other == EXCLUSIVE ? EXCLUSIVE : SHARED;
  }
}
