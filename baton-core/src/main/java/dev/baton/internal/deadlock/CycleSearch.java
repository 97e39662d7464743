package dev.baton.internal.deadlock;

import dev.baton.deadlock.Need;
import dev.baton.deadlock.Party;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/*
 * Overview. The deadlock test of the graph. A party that does not wait runs and will release what it holds;
 * a waiter can proceed when its blockers can (all of them for Need.ALL, one for Need.ANY). The fixpoint of
 * that rule (graph reduction, as in Holt's 1972 model) leaves the stuck set: those parties can never
 * proceed. For graphs of Need.ALL waits only, the stuck set is exactly what lies on or behind a cycle.
 * A cycle to report and break is found by following stuck blockers from a stuck party until a node repeats.
 *
 * Concurrency. Not thread-safe; WaitForGraph calls it under its lock. Cost O(V + E) of the part searched.
 */
final class CycleSearch {
  private CycleSearch() {}

  /** The edges a search sees: the wait of a party, or null if it does not wait. */
  interface Edges extends Function<Party, WaitForGraph.@Nullable Wait> {}

  /** The wait of {@code p}, which the search already knows to wait (it is stuck, or on a path it found). */
  private static WaitForGraph.Wait waitOf(Party p, Edges edges) {
    WaitForGraph.Wait w = edges.apply(p);
    if (w == null) throw new IllegalStateException(p + " does not wait");
    return w;
  }

  /** The parties reachable from {@code start} by wait edges, {@code start} included. */
  static Set<Party> reachable(Party start, Edges edges) {
    Set<Party> seen = new HashSet<>();
    ArrayDeque<Party> todo = new ArrayDeque<>();
    seen.add(start);
    todo.add(start);
    while (!todo.isEmpty()) {
      WaitForGraph.Wait w = edges.apply(todo.poll());
      if (w == null) continue;
      for (Party b : w.blockers()) if (seen.add(b)) todo.add(b);
    }
    return seen;
  }

  /** Whether {@code start} reaches itself: a cheap necessary condition for it to be deadlocked. */
  static boolean onCycle(Party start, Edges edges) {
    Set<Party> seen = new HashSet<>();
    ArrayDeque<Party> todo = new ArrayDeque<>();
    todo.add(start);
    while (!todo.isEmpty()) {
      WaitForGraph.Wait w = edges.apply(todo.poll());
      if (w == null) continue;
      for (Party b : w.blockers()) {
        if (b.equals(start)) return true;
        if (seen.add(b)) todo.add(b);
      }
    }
    return false;
  }

  /** The parties of {@code closed} (a set closed under wait edges) that can never proceed. */
  static Set<Party> stuck(Set<Party> closed, Edges edges) {
    Map<Party, Integer> pending = new HashMap<>();
    Map<Party, List<Party>> waitersOf = new HashMap<>();
    ArrayDeque<Party> free = new ArrayDeque<>();
    for (Party p : closed) {
      WaitForGraph.Wait w = edges.apply(p);
      if (w == null || w.blockers().isEmpty()) {
        free.add(p);
        continue;
      }
      pending.put(p, w.need() == Need.ANY ? 1 : w.blockers().size());
      for (Party b : w.blockers()) waitersOf.computeIfAbsent(b, k -> new ArrayList<>()).add(p);
    }
    while (!free.isEmpty()) {
      Party p = free.poll();
      for (Party waiter : waitersOf.getOrDefault(p, List.of())) {
        Integer left = pending.get(waiter);
        if (left == null) continue;
        if (left == 1) {
          pending.remove(waiter);
          free.add(waiter);
        } else {
          pending.put(waiter, left - 1);
        }
      }
    }
    return pending.keySet();
  }

  /** A cycle of stuck parties reached from {@code from} (itself stuck), in wait order. */
  static List<Party> cycleFrom(Party from, Set<Party> stuck, Edges edges) {
    LinkedHashMap<Party, Integer> path = new LinkedHashMap<>();
    Party p = from;
    while (!path.containsKey(p)) {
      path.put(p, path.size());
      WaitForGraph.Wait w = edges.apply(p);
      @Nullable Party next = null;
      if (w != null) {
        // Prefer closing the cycle through the start so the report names the edge that closed it.
        if (w.blockers().contains(from) && stuck.contains(from)) {
          next = from;
        } else {
          for (Party b : w.blockers()) {
            if (stuck.contains(b)) {
              next = b;
              break;
            }
          }
        }
      }
      if (next == null) throw new IllegalStateException("stuck party without a stuck blocker: " + p);
      p = next;
    }
    List<Party> order = new ArrayList<>(path.keySet());
    int first = Objects.requireNonNull(path.get(p), "the loop ends on a party of the path");
    return List.copyOf(order.subList(first, order.size()));
  }

  /**
   * The deadlocked component around {@code cycle}: the stuck parties reachable from it that also reach it
   * (its strongly connected component among stuck parties), the cycle first. With Need.ANY waits a deadlock is
   * a knot wider than one cycle; any member of the component may be the victim, and no party merely behind it
   * (which waits on it but is not waited on) is.
   */
  static List<Party> component(List<Party> cycle, Set<Party> stuck, Edges edges) {
    Party root = cycle.getFirst();
    Set<Party> forward = new HashSet<>();
    Map<Party, List<Party>> reverse = new HashMap<>();
    ArrayDeque<Party> todo = new ArrayDeque<>();
    forward.add(root);
    todo.add(root);
    while (!todo.isEmpty()) {
      Party p = todo.poll();
      for (Party b : waitOf(p, edges).blockers()) {
        if (!stuck.contains(b)) continue;
        reverse.computeIfAbsent(b, k -> new ArrayList<>()).add(p);
        if (forward.add(b)) todo.add(b);
      }
    }
    Set<Party> back = new HashSet<>();
    back.add(root);
    todo.add(root);
    while (!todo.isEmpty()) {
      for (Party w : reverse.getOrDefault(todo.poll(), List.of())) if (back.add(w)) todo.add(w);
    }
    LinkedHashSet<Party> out = new LinkedHashSet<>(cycle);
    for (Party p : forward) if (back.contains(p)) out.add(p);
    return List.copyOf(out);
  }

  /**
   * The deadlock through {@code start}, if {@code start} is deadlocked. Fast path: one breadth-first search
   * from {@code start}, stopped at the first edge back to it; a cycle of Need.ALL waits only is a deadlock as
   * it is (each member needs the next). Otherwise (a Need.ANY wait on the cycle) the reduction decides, and
   * the whole deadlocked component is returned.
   */
  static Optional<List<Party>> deadlockAt(Party start, Edges edges) {
    Map<Party, Party> parent = new HashMap<>();
    ArrayDeque<Party> todo = new ArrayDeque<>();
    parent.put(start, start);
    todo.add(start);
    @Nullable Party closer = null;
    search:
    while (!todo.isEmpty()) {
      Party p = todo.poll();
      WaitForGraph.Wait w = edges.apply(p);
      if (w == null) continue;
      for (Party b : w.blockers()) {
        if (b.equals(start)) {
          closer = p;
          break search;
        }
        if (!parent.containsKey(b)) {
          parent.put(b, p);
          todo.add(b);
        }
      }
    }
    if (closer == null) return Optional.empty();
    ArrayList<Party> path = new ArrayList<>();
    boolean allNeedAll = true;
    for (Party p = closer; ; p = Objects.requireNonNull(parent.get(p), "a searched party has a parent")) {
      path.add(p);
      allNeedAll &= waitOf(p, edges).need() == Need.ALL;
      if (p.equals(start)) break;
    }
    Collections.reverse(path);
    if (allNeedAll) return Optional.of(List.copyOf(path));
    Set<Party> stuck = stuck(reachable(start, edges), edges);
    if (!stuck.contains(start)) return Optional.empty();
    return Optional.of(component(cycleFrom(start, stuck, edges), stuck, edges));
  }
}
