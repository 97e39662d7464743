package dev.baton.internal.engine;

import java.util.ArrayDeque;
import java.util.TreeMap;

/**
 * The sequential specification of one session's mailbox and reorder buffer for the Lincheck tests, written
 * independently of SessionActor from the contract: followup mode, queue cap counted over queued + held
 * messages, at most {@code maxPer} turns at once, tickets (one per startable turn) claimed in order, a
 * contiguous seq released in order with gaps held (gap timers never fire here), late arrivals processed.
 */
public class MailboxModel {

  private final int maxPer;
  private final int maxQueue;
  private final ArrayDeque<String> queue = new ArrayDeque<>();
  private final TreeMap<Integer, String> held = new TreeMap<>();
  private final ArrayDeque<String> claimed = new ArrayDeque<>();
  private int next;
  private int running;
  private int tickets;

  MailboxModel(int maxPer, int maxQueue) {
    this.maxPer = maxPer;
    this.maxQueue = maxQueue;
  }

  String offer(String id) {
    if (queue.size() + held.size() >= maxQueue) return "FULL";
    queue.add(id);
    ticket();
    return "QUEUED";
  }

  public String arrive(int seq) {
    if (queue.size() + held.size() >= maxQueue) return "FULL";
    String id = "s" + seq;
    if (seq < next || held.containsKey(seq)) {
      queue.add(id); // late, processed
    } else if (seq == next) {
      queue.add(id);
      next++;
      while (!held.isEmpty() && held.firstKey() == next) {
        queue.add(held.pollFirstEntry().getValue());
        next++;
      }
    } else {
      held.put(seq, id);
    }
    ticket();
    return "QUEUED";
  }

  private void ticket() {
    while (running + tickets < maxPer && queue.size() > tickets) tickets++;
  }

  public String claim() {
    if (tickets == 0) return "none";
    tickets--;
    String m = queue.poll();
    running++;
    claimed.add(m);
    ticket();
    return m;
  }

  public String finish() {
    String m = claimed.poll();
    if (m == null) return "none";
    running--;
    ticket();
    return m;
  }

  public String view() {
    if (queue.isEmpty() && held.isEmpty() && running == 0 && tickets == 0) return "idle";
    return (queue.size() + held.size()) + "/" + running;
  }

  /** Sequential specification of {@link MailboxLincheckTest}. */
  public static class Mailbox extends MailboxModel {
    public Mailbox() {
      super(2, 2);
    }

    public String offer(int id) {
      return offer("m" + id);
    }
  }

  /** Sequential specification of {@link ReorderLincheckTest}. */
  public static class Reorder extends MailboxModel {
    public Reorder() {
      super(1, 3);
    }
  }
}
