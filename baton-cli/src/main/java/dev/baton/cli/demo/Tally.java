package dev.baton.cli.demo;

import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Checks and violations of one promise. Thread-safe: counters are atomic; the first few violations are kept
 * as examples for the report.
 */
final class Tally {

  private static final int EXAMPLES = 5;

  final String promise;
  final String meaning;
  private final AtomicLong checked = new AtomicLong();
  private final AtomicLong violations = new AtomicLong();
  private final ConcurrentLinkedQueue<String> examples = new ConcurrentLinkedQueue<>();

  Tally(String promise, String meaning) {
    this.promise = promise;
    this.meaning = meaning;
  }

  /** Counts one check; when {@code ok} is false also a violation described by {@code what}. */
  boolean check(boolean ok, String what) {
    checked.incrementAndGet();
    if (!ok) {
      if (violations.incrementAndGet() <= EXAMPLES) examples.add(what);
    }
    return ok;
  }

  /** Adds checks made elsewhere (the probe's), with their examples. */
  void add(long moreChecked, long moreViolations, List<String> moreExamples) {
    checked.addAndGet(moreChecked);
    long before = violations.getAndAdd(moreViolations);
    for (String e : moreExamples) {
      if (before++ < EXAMPLES) examples.add(e);
    }
  }

  long checked() {
    return checked.get();
  }

  long violations() {
    return violations.get();
  }

  List<String> examples() {
    return List.copyOf(examples);
  }

  DemoReport.PromiseResult result() {
    return new DemoReport.PromiseResult(meaning, checked(), violations(), examples());
  }
}
