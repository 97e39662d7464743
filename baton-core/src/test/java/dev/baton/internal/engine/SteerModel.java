package dev.baton.internal.engine;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * The sequential specification of queue mode steer for {@link SteerLincheckTest}, written from the contract
 * (P10, docs/concurrency.md): one turn at a time; a turn starts with everything queued; while it runs, "steer"
 * moves everything queued into it; a message is in exactly one turn; what a turn did not take when it ends starts
 * the next turn. The queue cap counts waiting messages only.
 */
public class SteerModel {

  private final int maxQueue = 2;
  private final ArrayDeque<String> queue = new ArrayDeque<>();
  private final List<String> run = new ArrayList<>();
  private boolean running;
  private int tickets;

  public String offer(int id) {
    if (queue.size() >= maxQueue) return "FULL";
    queue.add("m" + id);
    ticket();
    return "QUEUED";
  }

  private void ticket() {
    if (!running && tickets == 0 && !queue.isEmpty()) tickets = 1;
  }

  public String claim() {
    if (tickets == 0) return "none";
    tickets--;
    if (queue.isEmpty()) return "nothing";
    run.addAll(queue);
    queue.clear();
    running = true;
    return String.join(",", run);
  }

  public String steer() {
    if (!running) return "none";
    List<String> took = new ArrayList<>(queue);
    queue.clear();
    run.addAll(took);
    return String.join(",", took);
  }

  public String finish() {
    if (!running) return "none";
    String ids = String.join(",", run);
    run.clear();
    running = false;
    ticket();
    return ids;
  }

  public String view() {
    if (queue.isEmpty() && !running && tickets == 0) return "idle";
    return queue.size() + "/" + (running ? 1 : 0);
  }
}
