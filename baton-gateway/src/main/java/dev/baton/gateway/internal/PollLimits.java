package dev.baton.gateway.internal;

import dev.baton.Reply;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/*
 * Overview: `channels.api.max_polls_per_user` (P11). Wraps the API's reply source (the node's ReplyInbox or
 * the cluster's ClusterReplies) and counts, per authenticated user, the long polls (wait > 0) waiting now; one
 * more is refused at once with 429 `too_many_polls`, before it parks a thread or schedules a timer. A poll
 * that does not wait (wait_ms = 0) answers at once and is not counted.
 * Concurrency: a ConcurrentHashMap of AtomicIntegers; the compute functions only do arithmetic (STYLE 9),
 * nothing blocks while a bin is held, and a user's entry is removed when its count returns to 0, so users
 * who are not polling cost nothing.
 * Failure: the count is given back in a finally block, whatever the poll throws.
 */
/** A per-user bound on concurrent long polls around an {@link ApiReplies}. Thread-safe. */
final class PollLimits implements ApiReplies {

  static final String MESSAGE = "too many long polls are waiting for this user; wait for one to answer first";

  private final ApiReplies inner;
  private final int maxPerUser;
  private final ConcurrentHashMap<String, AtomicInteger> waiting = new ConcurrentHashMap<>();
  private final Counter refused;

  public PollLimits(ApiReplies inner, int maxPerUser, MeterRegistry meters) {
    this.inner = inner;
    this.maxPerUser = maxPerUser;
    this.refused = meters.counter("baton.gateway.api.polls.refused");
  }

  @Override
  public void append(String user, Reply reply) {
    inner.append(user, reply);
  }

  /**
   * As {@link ApiReplies#poll}, once the user's waiting polls are below the bound.
   *
   * @throws HttpError 429 {@code too_many_polls} if {@code user} already has {@code max_polls_per_user} polls
   *     waiting (nothing acknowledged)
   */
  @Override
  public ReplyInbox.Page poll(String user, String chat, String cursor, Duration wait) {
    if (wait.isZero()) return inner.poll(user, chat, cursor, wait);
    boolean[] ok = {false};
    waiting.compute(user, (k, n) -> {
      AtomicInteger c = n == null ? new AtomicInteger() : n;
      if (c.get() < maxPerUser) {
        c.incrementAndGet();
        ok[0] = true;
      }
      return c.get() == 0 ? null : c;
    });
    if (!ok[0]) {
      refused.increment();
      throw new HttpError(429, "too_many_polls", MESSAGE);
    }
    try {
      return inner.poll(user, chat, cursor, wait);
    } finally {
      waiting.computeIfPresent(user, (k, n) -> n.decrementAndGet() <= 0 ? null : n);
    }
  }

  /** Not counted: event streams have their own bound ({@code channels.api.max_event_streams_per_user}). */
  @Override
  public ReplyInbox.Page poll(String user, String chat, String cursor, Duration wait, boolean acknowledge,
      java.util.concurrent.CompletableFuture<?> abort) {
    return inner.poll(user, chat, cursor, wait, acknowledge, abort);
  }

  /** Users with a long poll waiting now. */
  int users() {
    return waiting.size();
  }

  @Override
  public void close() {
    inner.close();
  }
}
