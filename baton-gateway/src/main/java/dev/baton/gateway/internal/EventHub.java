package dev.baton.gateway.internal;

import dev.baton.LiveEvent;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/*
 * Overview: the open GET /v1/events connections of this node, by authenticated user, and the live events of the
 * API channel routed to them (ReplyLanes.live). A user with no open stream has no entry: a live event for them
 * is dropped at once and costs nothing (partial text is a preview; the final reply comes through the inbox).
 * Live events are node-local: in cluster mode only the streams on the node running the turn see them.
 * Bounds (P11): at most channels.api.max_event_streams_per_user connections per user (one more is 429
 * too_many_streams), each with at most EventStream.MAX_PENDING pending live events.
 * Concurrency: each user's connections are an immutable list replaced inside ConcurrentHashMap.compute (which
 * only copies the small list: nothing blocks there); live() reads the list without locking and hands the event
 * to each connection's offer(), which only queues it. close() ends every connection and refuses new ones.
 */
final class EventHub {

  static final String TOO_MANY = "too many event streams are open for this user; close one first";

  private final int maxPerUser;
  private final ConcurrentHashMap<String, List<EventStream>> streams = new ConcurrentHashMap<>();
  private final Counter refused;
  private volatile boolean closed;

  EventHub(int maxPerUser, MeterRegistry meters) {
    this.maxPerUser = maxPerUser;
    this.refused = meters.counter("baton.gateway.api.events.refused");
  }

  /**
   * Registers a new connection of {@code user}.
   *
   * @throws HttpError 429 {@code too_many_streams} if the user has {@code max_event_streams_per_user} open;
   *     503 {@code shutting_down} once the gateway stops
   */
  void open(String user, EventStream s) {
    if (closed) throw new HttpError(503, "shutting_down", "the gateway is shutting down; retry later");
    boolean[] ok = {false};
    streams.compute(user, (k, list) -> {
      List<EventStream> l = list == null ? List.of() : list;
      if (l.size() >= maxPerUser) return list;
      ok[0] = true;
      List<EventStream> copy = new ArrayList<>(l);
      copy.add(s);
      return List.copyOf(copy);
    });
    if (!ok[0]) {
      refused.increment();
      throw new HttpError(429, "too_many_streams", TOO_MANY);
    }
    if (closed) s.close(); // close() ran between the check and the registration
  }

  /** Forgets a connection that ended; the user's entry goes with their last one. */
  void remove(String user, EventStream s) {
    streams.computeIfPresent(user, (k, list) -> {
      List<EventStream> copy = new ArrayList<>(list);
      copy.remove(s);
      return copy.isEmpty() ? null : List.copyOf(copy);
    });
  }

  /** Hands a live event to each open connection of {@code user}. Never blocks on a client. */
  void live(String user, LiveEvent event) {
    List<EventStream> l = streams.get(user);
    if (l == null) return;
    for (EventStream s : l) s.offer(event);
  }

  /** Ends every connection; later ones are refused. */
  void close() {
    closed = true;
    for (List<EventStream> l : streams.values()) l.forEach(EventStream::close);
  }

  /** Users with an open stream (for tests and diagnostics). */
  int users() {
    return streams.size();
  }

  /** The open streams of {@code user} (for tests). */
  List<EventStream> of(String user) {
    return streams.getOrDefault(user, List.of());
  }
}
