package dev.baton.gateway;

/**
 * An extra read-only view of the admin API, served as JSON at {@code GET /v1/admin/<name>} behind the admin
 * token (for example the wait-for graph and the recent deadlocks of the tool runtime, {@code dev.baton.deadlock}).
 *
 * <p><b>Concurrency.</b> {@link #snapshot} is called on a request's virtual thread, possibly by several
 * requests at once; it must be thread-safe and quick, and must not expose secrets.
 */
@FunctionalInterface
public interface AdminView {

  /** A point-in-time value that Jackson can write as JSON (records, maps, lists, strings, numbers). */
  Object snapshot();
}
