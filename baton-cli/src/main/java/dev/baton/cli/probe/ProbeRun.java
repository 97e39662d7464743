package dev.baton.cli.probe;

import dev.baton.cli.probe.Recorder.Answer;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;

/*
 * Overview: one probe run against a target of the message API. Readers collect every sender's replies (long
 * poll, or an event stream: the target's read) while
 * one virtual thread per sender sends its messages at their intended times (open loop: a sender that falls
 * behind sends at once and its latency still counts from the intended time, so a slow target cannot hide its
 * queueing). Then it waits for the accepted messages' replies up to --reply-timeout, lets late duplicates
 * arrive, asks the ledger's total (level ledger) and hands everything to Checks.
 *
 * Concurrency: senders and readers share only the Recorder. The abort flag stops every sender when the target
 * cannot be driven (every early delivery failed or was refused its token, or a reader said so in the Recorder).
 */
final class ProbeRun {

  private final ProbeOptions options;
  private final PrintWriter progressOut;
  /** Whether the target took the final ledger question (else the ledger could not be checked). */
  private boolean ledgerAccepted;

  ProbeRun(ProbeOptions options, PrintWriter progressOut) {
    this.options = options;
    this.progressOut = progressOut;
  }

  ProbeReport run() throws InterruptedException {
    Plan plan = Plan.build(options);
    AtomicBoolean stopReaders = new AtomicBoolean();
    @Nullable Thread[] progress = new Thread[1];
    try {
      return run(plan, stopReaders, progress);
    } finally { // also when a sender, a reader or the judge fails: no thread outlives the run
      stopReaders.set(true);
      Thread p = progress[0];
      if (p != null) {
        p.interrupt();
        p.join(2000); // so it draws nothing after the run's caller moved on
      }
    }
  }

  private ProbeReport run(Plan plan, AtomicBoolean stopReaders, @Nullable Thread[] progressThread)
      throws InterruptedException {
    long start = System.nanoTime() + 200_000_000L;
    Recorder record = new Recorder(start);
    AtomicBoolean abort = new AtomicBoolean();
    List<Thread> readers = new ArrayList<>();
    try (ProbeTarget target = openTarget(options, record, options.sendSeq ? plan.seqById() : Map.of())) {
      List<String> inboxes = new ArrayList<>(plan.users);
      inboxes.addAll(plan.attackers);
      inboxes.add(LEDGER_USER);
      for (String u : inboxes) {
        readers.add(Thread.ofVirtual().name("probe-read-" + u).start(() -> target.read(u, record, stopReaders::get)));
      }
      Thread progress = options.progress ? Thread.ofVirtual().start(() -> progress(record, plan)) : null;
      progressThread[0] = progress;
      List<Thread> senders = new ArrayList<>();
      Map<String, List<Plan.Msg>> bySender = plan.bySender();
      bySender.forEach((sender, msgs) -> senders.add(Thread.ofVirtual().name("probe-send-" + sender)
          .start(() -> sendAll(target, record, msgs, abort))));
      for (Thread t : senders) t.join();
      // After the flood: the honest users deliver their first message again; it must stay answered once.
      if (!plan.attackers.isEmpty() && !abort.get()) {
        for (String u : plan.users.subList(0, Math.min(10, plan.users.size()))) {
          bySender.getOrDefault(u, List.of()).stream().findFirst().ifPresent(m -> deliver(target, record, m, abort));
        }
      }
      String problem = !record.cannotDrive().isEmpty() ? record.cannotDrive()
          : abort.get() ? abortReason(record, target) : "";
      long honestAccepted = record.deliveries().stream()
          .filter(d -> d.answer() == Answer.ACCEPTED && !d.msg().hostile()).count();
      if (problem.isEmpty() && honestAccepted == 0) {
        problem = "the target accepted none of the " + record.sent.get() + " deliveries (HTTP "
            + statuses(record) + ")" + (options.targetFactory != null ? ""
                : ": is --target the bot's " + (options.protocol == ProbeOptions.Protocol.API
                    ? "message API base URL?" : "webhook URL?"));
      }
      long deadline = System.nanoTime() + options.replyTimeout.toNanos();
      while (problem.isEmpty() && System.nanoTime() < deadline && outstanding(plan, record) > 0) {
        Thread.sleep(50);
      }
      // Let a second reply to an answered message arrive before judging (duplicates).
      Thread.sleep(Math.min(1000, options.replyTimeout.toMillis() / 4));
      @Nullable Long ledgerTotal = null;
      if (problem.isEmpty() && options.level == ProbeOptions.Level.LEDGER) {
        ledgerTotal = askLedger(target, record);
        if (ledgerTotal == null && !ledgerAccepted) {
          problem = "the final ledger query was never accepted (busy or failing): the ledger could not be checked";
        }
      }
      long end = System.nanoTime();
      stopReaders.set(true);
      if (progress != null) {
        progress.interrupt();
        progress.join(2000);
      }
      for (Thread t : readers) t.join(5000);
      return new Checks(plan, options, record).judge(problem, ledgerTotal, end);
    }
  }

  static final String LEDGER_USER = "ledger-auditor";

  /**
   * The target of {@code --protocol}, or the one a caller put in {@link ProbeOptions#targetFactory}; {@code seqs}:
   * each message id's sequence number to send with it (empty: none).
   */
  private static ProbeTarget openTarget(ProbeOptions options, Recorder record, Map<String, Integer> seqs) {
    if (options.targetFactory != null) return options.targetFactory.apply(record, seqs);
    return switch (options.protocol) {
      case TELEGRAM -> new TelegramTarget(options, record);
      case SLACK -> new SlackTarget(options, record);
      case API -> new ApiTarget(options.target, options.jwtSecret, options.pollWait,
          options.replies == ProbeOptions.Replies.EVENTS, seqs);
    };
  }

  private @Nullable Long askLedger(ProbeTarget target, Recorder record) throws InterruptedException {
    int[] status = new int[1];
    int before = record.replies().size();
    long deadline = System.nanoTime() + options.replyTimeout.toNanos();
    // Asked again (a new id) while the target answers busy or fails, until it takes the question.
    for (int attempt = 1; ; attempt++) {
      Answer a = target.send(LEDGER_USER, "ledger-total-" + attempt, "probe: ledger total", "", status);
      if (a == Answer.ACCEPTED || a == Answer.DUPLICATE) {
        ledgerAccepted = true;
        break;
      }
      if (System.nanoTime() > deadline || attempt >= 20) return null;
      Thread.sleep(100);
    }
    while (System.nanoTime() < deadline) {
      List<Recorder.Seen> all = record.replies();
      for (Recorder.Seen s : all.subList(Math.min(before, all.size()), all.size())) {
        if (!s.inbox().equals(LEDGER_USER)) continue;
        var m = Checks.LEDGER_TOTAL.matcher(s.text());
        if (m.find()) return Long.parseLong(m.group(1));
      }
      Thread.sleep(20);
    }
    return null;
  }

  private void sendAll(ProbeTarget target, Recorder record, List<Plan.Msg> msgs, AtomicBoolean abort) {
    List<Plan.Msg> later = new ArrayList<>();
    for (int i = 0; i < msgs.size() && !abort.get(); i++) {
      Plan.Msg m = msgs.get(i);
      Plan.Msg next = i + 1 < msgs.size() ? msgs.get(i + 1) : null;
      waitUntil(record.startNanos + m.intendedNanos());
      if (next != null && next.swappedWithPrevious()) { // swapped neighbours: the later one goes first
        deliverWithTwins(target, record, next, abort, later);
        deliverWithTwins(target, record, m, abort, later);
        i++;
      } else {
        deliverWithTwins(target, record, m, abort, later);
      }
      if (later.size() > 1) deliver(target, record, later.removeFirst(), abort); // a late redelivery
    }
    for (Plan.Msg m : later) deliver(target, record, m, abort);
  }

  private void deliverWithTwins(ProbeTarget target, Recorder record, Plan.Msg m, AtomicBoolean abort,
      List<Plan.Msg> later) {
    if (m.twinNow()) { // the same delivery twice at the same instant, over two connections
      CountDownLatch go = new CountDownLatch(1);
      Thread twin = Thread.ofVirtual().start(() -> {
        try {
          go.await();
        } catch (InterruptedException e) {
          return;
        }
        deliver(target, record, m, abort);
      });
      go.countDown();
      deliver(target, record, m, abort);
      try {
        twin.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    } else {
      deliver(target, record, m, abort);
    }
    if (m.twinLater()) later.add(m);
  }

  private void deliver(ProbeTarget target, Recorder record, Plan.Msg m, AtomicBoolean abort) {
    int[] status = new int[1];
    long order = record.nextSendOrder(m.user());
    long called = System.nanoTime();
    Answer a = target.send(m.user(), m.id(), Plan.text(m), m.chat(), status);
    record.delivered(new Recorder.Delivery(m, order, called, System.nanoTime(), a, status[0]));
    if (!record.cannotDrive().isEmpty()) abort.set(true); // a reader found the target cannot be driven
    if (record.sent.get() >= 20 && record.accepted.get() == 0 && !m.hostile()) {
      long bad = record.deliveries().stream()
          .filter(d -> d.answer() == Answer.FAILED || d.answer() == Answer.UNAUTHORIZED).count();
      if (bad == record.sent.get()) abort.set(true);
    }
  }

  private static String statuses(Recorder record) {
    java.util.Map<Integer, Long> by = new java.util.TreeMap<>();
    for (Recorder.Delivery d : record.deliveries()) by.merge(d.status(), 1L, Long::sum);
    return by.toString();
  }

  private String abortReason(Recorder record, ProbeTarget target) {
    List<Recorder.Delivery> ds = record.deliveries();
    long unauthorized = ds.stream().filter(d -> d.answer() == Answer.UNAUTHORIZED).count();
    if (unauthorized > 0) {
      return target.unauthorizedHint();
    }
    return "every request to " + options.target + " failed before an HTTP answer: is the target running there?";
  }

  /** Accepted honest messages whose answer (a reply quoting their nonce last, or a notice) has not come. */
  private static int outstanding(Plan plan, Recorder record) {
    return (int) open(record).values().stream().filter(b -> b).count();
  }

  /** Each honest message sent so far, and whether it is accepted and still waits for its answer. */
  private static Map<Plan.Msg, Boolean> open(Recorder record) {
    Map<Plan.Msg, long[]> byMsg = new java.util.HashMap<>(); // [accepted?, refused deliveries]
    for (Recorder.Delivery d : record.deliveries()) {
      if (d.msg().hostile()) continue;
      long[] c = byMsg.computeIfAbsent(d.msg(), k -> new long[2]);
      if (d.answer() == Answer.ACCEPTED) c[0] = 1;
      if (d.answer() == Answer.BUSY || d.answer() == Answer.REFUSED) c[1]++;
    }
    Map<Plan.Msg, Boolean> open = new java.util.HashMap<>();
    byMsg.forEach((m, c) -> open.put(m, c[0] == 1 && !record.seemsAnswered(m, c[1])));
    return open;
  }

  /** Honest messages sent and answered (a reply, a notice) or refused (busy, rejected): the demo's progress. */
  private static int resolved(Recorder record) {
    Map<Plan.Msg, Boolean> open = open(record);
    return (int) open.values().stream().filter(b -> !b).count();
  }

  private static void waitUntil(long nanos) {
    long d;
    while ((d = nanos - System.nanoTime()) > 0) LockSupport.parkNanos(d);
  }

  private void progress(Recorder record, Plan plan) {
    int total = plan.messages.size();
    var sink = options.progressSink;
    try {
      while (true) {
        Thread.sleep(sink != null ? 200 : 1000);
        int sent = record.sent.get();
        if (sink != null) {
          sink.accept(resolved(record), plan.messages.size());
          continue;
        }
        int filled = (int) Math.min(30, 30L * sent / Math.max(1, total));
        progressOut.printf("probe [%s%s] sent %d, accepted %d, replies %d%n", "#".repeat(filled),
            ".".repeat(30 - filled), sent, record.accepted.get(), record.received.get());
        progressOut.flush();
      }
    } catch (InterruptedException e) {
      // the run is over
    }
  }
}
