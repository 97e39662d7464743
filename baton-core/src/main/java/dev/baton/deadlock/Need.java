package dev.baton.deadlock;

/**
 * How many of its blockers a waiter needs gone before it can proceed. A lock waiter needs every conflicting
 * holder (and the conflicting waiters queued ahead of it) to pass: {@link #ALL}. A waiter for one of several
 * interchangeable units (a permit out of {@code max_concurrent_total}, a slot of a session with
 * {@code max_concurrent_per_session > 1}) proceeds as soon as any holder releases: {@link #ANY}. With
 * {@code ANY} a cycle is not enough for a deadlock; every holder must be stuck.
 */
public enum Need {
  ALL,
  ANY
}
