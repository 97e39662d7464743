package dev.baton.gateway.internal;

import dev.baton.LiveEvent;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;

/*
 * Overview: the live events (deltas and statuses) one GET /v1/events connection has not written yet. A delta of
 * a stream that already has a pending delta is merged into it (its text appended, its in_reply_to updated to the
 * newer one), so a slow client costs one entry per stream, holding at most the text the stream appended since the
 * client last caught up (the engine holds that text anyway). Statuses are kept as they come. At most `capacity`
 * entries are pending: one more overflows the queue, which then takes nothing more (the connection is ended
 * after writing what it holds; the client reconnects, losing partial text only, never a reply).
 * Concurrency: not thread-safe; EventStream guards it with its lock (held only for these O(1) operations).
 */
final class LiveQueue {

  /** A pending event: a delta (merged text) or a status. */
  sealed interface Item {}

  /** A delta's merged text; {@code offset} is that of its first piece. */
  static final class Delta implements Item {
    final String replyId;
    String inReplyTo;
    final long offset;
    final StringBuilder text;

    Delta(String replyId, String inReplyTo, long offset, String text) {
      this.replyId = replyId;
      this.inReplyTo = inReplyTo;
      this.offset = offset;
      this.text = new StringBuilder(text);
    }
  }

  record Status(String inReplyTo, LiveEvent.State state) implements Item {}

  private final int capacity;
  private List<Item> items = new ArrayList<>();
  private final HashMap<String, Delta> byStream = new HashMap<>();
  private boolean overflowed;

  LiveQueue(int capacity) {
    this.capacity = capacity;
  }

  /** Adds (or merges) the event; returns false if the queue overflowed (now or before) and took nothing. */
  boolean offer(LiveEvent event) {
    if (overflowed) return false;
    switch (event) {
      case LiveEvent.Delta d -> {
        Delta pending = byStream.get(d.streamId());
        if (pending != null) {
          pending.text.append(d.text());
          pending.inReplyTo = d.inReplyTo();
          return true;
        }
        if (!room()) return false;
        Delta fresh = new Delta(d.streamId(), d.inReplyTo(), d.offset(), d.text());
        byStream.put(d.streamId(), fresh);
        items.add(fresh);
      }
      case LiveEvent.Status s -> {
        if (!room()) return false;
        items.add(new Status(s.inReplyTo(), s.state()));
      }
    }
    return true;
  }

  private boolean room() {
    if (items.size() < capacity) return true;
    overflowed = true;
    return false;
  }

  /** Takes every pending entry, in the order they were first added. */
  List<Item> drain() {
    List<Item> out = items;
    items = new ArrayList<>();
    byStream.clear();
    return out;
  }

  boolean isEmpty() {
    return items.isEmpty();
  }

  int size() {
    return items.size();
  }

  boolean overflowed() {
    return overflowed;
  }
}
