package dev.baton.cli.probe;

import dev.baton.cli.probe.ProbeReport.Example;
import dev.baton.cli.probe.ProbeReport.PatternResult;
import dev.baton.cli.probe.Recorder.Answer;
import dev.baton.cli.probe.Recorder.Delivery;
import dev.baton.cli.probe.Recorder.Seen;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.HdrHistogram.Histogram;
import org.jspecify.annotations.Nullable;

/*
 * Overview: the probe's judge. From the plan (who sent which nonce) and the record (what the target answered and
 * which replies reached which inbox, when) it decides each pattern of the guide, with evidence. It sees the
 * target only from outside: a reply is attributed to the message whose nonce it quotes last (the probe contract,
 * docs/probe.md), a reply of kind busy/error/cancelled, or without a nonce and without a kind, is a notice; one
 * of kind reply without a nonce answers nothing.
 *
 * Not thread-safe; called once, after the run.
 */
final class Checks {

  static final Pattern NONCE = Pattern.compile("\\bpn[0-9a-z]{10}\\b");
  static final Pattern LEDGER_TOTAL = Pattern.compile("ledger total=(-?[0-9]{1,18})");
  static final int MAX_EXAMPLES = 20;
  /** How many of a reader's latest answers each answer's order is judged against. */
  static final int ORDER_WINDOW = 64;

  private final Plan plan;
  private final ProbeOptions options;
  private final Recorder record;
  private final Map<String, Result> results = new LinkedHashMap<>();

  private static final class Result {
    long checked;
    long violations;
    final List<Example> examples = new ArrayList<>();
    final List<Long> when = new ArrayList<>();

    void check(boolean ok, Plan.Msg m, String user, String detail, long atNanos, long start) {
      checked++;
      if (ok) return;
      violations++;
      when.add(Math.max(0, atNanos - start));
      if (examples.size() < MAX_EXAMPLES) {
        examples.add(new Example(m.id(), user, detail, (atNanos - start) / 1e9));
      }
    }
  }

  Checks(Plan plan, ProbeOptions options, Recorder record) {
    this.plan = plan;
    this.options = options;
    this.record = record;
    for (String name : ProbeReport.PATTERNS.keySet()) results.put(name, new Result());
  }

  static List<String> nonces(String text) {
    List<String> out = new ArrayList<>();
    Matcher m = NONCE.matcher(text);
    while (m.find()) out.add(m.group());
    return out;
  }

  /** A short, printable excerpt of a reply for the evidence: no control characters, at most 120 characters. */
  static String excerpt(String text) {
    StringBuilder b = new StringBuilder();
    text.codePoints().limit(120).forEach(c -> {
      if (Character.isISOControl(c) || c == 0x2028 || c == 0x2029 || Character.getType(c) == Character.FORMAT
          || Character.getType(c) == Character.SURROGATE) {
        b.append(String.format("\\u%04x", c));
      }
      else b.appendCodePoint(c);
    });
    return text.codePointCount(0, text.length()) > 120 ? b + "…" : b.toString();
  }

  /**
   * Judges the run. {@code ledgerTotal}: the total the target answered to the final ledger query (level ledger),
   * null if it gave none.
   */
  ProbeReport judge(String problem, @Nullable Long ledgerTotal, long endNanos) {
    long start = record.startNanos;
    long timeoutNanos = options.replyTimeout.toNanos();
    List<Delivery> deliveries = record.deliveries();
    List<Seen> replies = record.replies();

    // What each message got: its accepting delivery, its first send order, its answer and notices.
    Map<Plan.Msg, Long> acceptedAt = new HashMap<>();
    Map<Plan.Msg, Long> firstSendOrder = new HashMap<>();
    Map<Plan.Msg, List<Delivery>> byMsg = new HashMap<>();
    Map<String, Plan.Msg> byUserId = new HashMap<>();
    for (Plan.Msg m : plan.messages) byUserId.put(m.user() + "\n" + m.id(), m);
    Map<Plan.Msg, Long> acceptedCalled = new HashMap<>();
    Map<Plan.Msg, Long> acceptedOrder = new HashMap<>();
    for (Delivery d : deliveries) {
      byMsg.computeIfAbsent(d.msg(), k -> new ArrayList<>()).add(d);
      firstSendOrder.merge(d.msg(), d.sendOrder(), Math::min);
      if (d.answer() == Answer.ACCEPTED) {
        acceptedAt.merge(d.msg(), d.answeredNanos(), Math::min);
        acceptedCalled.merge(d.msg(), d.calledNanos(), Math::min);
        acceptedOrder.merge(d.msg(), d.sendOrder(), Math::min);
      }
    }
    // A message refused once and taken on a redelivery stands, in its sender's order, where it was taken.
    firstSendOrder.putAll(acceptedOrder);

    Result dup = java.util.Objects.requireNonNull(results.get("duplicates"));
    Result inter = java.util.Objects.requireNonNull(results.get("interleaving"));
    Result shared = java.util.Objects.requireNonNull(results.get("shared_state"));
    Result stuck = java.util.Objects.requireNonNull(results.get("deadlock"));
    Result order = java.util.Objects.requireNonNull(results.get("order"));
    Result ledger = java.util.Objects.requireNonNull(results.get("tool_race"));

    Map<Plan.Msg, List<Seen>> answers = new HashMap<>();
    // Notices about a message: a busy one may answer a refused delivery (Baton's 429 also sends the busy text),
    // so it excuses an accepted delivery only when there are more of them than refused deliveries.
    Map<Plan.Msg, Integer> refusalNotices = new HashMap<>();
    Set<Plan.Msg> finalNotices = new HashSet<>();
    Map<String, java.util.ArrayDeque<Plan.Msg>> answeredRecently = new HashMap<>();
    Set<Plan.Msg> covered = new HashSet<>();
    Map<String, Integer> unattributedNotices = new HashMap<>();
    Map<Plan.Msg, Seen> blank = new HashMap<>();
    Map<String, List<String>> lastList = new HashMap<>();
    boolean context = options.level != ProbeOptions.Level.ECHO;
    Histogram replied = histogram();
    Histogram notices = histogram();

    for (Seen r : replies) {
      List<String> found = nonces(r.text());
      boolean notice = Recorder.isNotice(r.kind(), found);
      if (!notice && found.isEmpty()) { // kind "reply" and no nonce: it answers nothing the probe can check
        Plan.Msg about = byUserId.get(r.inbox() + "\n" + r.inReplyTo());
        if (about != null) blank.putIfAbsent(about, r);
        continue;
      }
      if (notice) {
        Plan.Msg about = byUserId.get(r.inbox() + "\n" + r.inReplyTo());
        if (about != null) {
          if (Recorder.isFinalNotice(r.kind())) finalNotices.add(about);
          else refusalNotices.merge(about, 1, Integer::sum);
          notices.recordValue(micros(r.atNanos() - start - about.intendedNanos()));
        } else {
          unattributedNotices.merge(r.inbox(), 1, Integer::sum);
        }
        if (found.isEmpty()) continue;
      }
      // Session interleaving: every nonce a reply quotes must be its reader's own.
      Plan.Msg last = null;
      for (String n : found) {
        Plan.Msg owner = plan.byNonce.get(n);
        if (owner == null) continue; // not one of ours: the bot made it up; judged by shared_state below
        inter.check(owner.user().equals(r.inbox()), owner, r.inbox(),
            "a reply to " + r.inbox() + " quotes " + owner.user() + "'s nonce " + n + " of " + owner.id() + ": \""
                + excerpt(r.text()) + "\"", r.atNanos(), start);
        last = owner;
      }
      if (last == null || notice) continue;
      for (String id : r.covers()) { // a reply that answers several messages at once (Baton's covers)
        Plan.Msg c = byUserId.get(r.inbox() + "\n" + id);
        if (c != null && c != last) covered.add(c);
      }
      answers.computeIfAbsent(last, k -> new ArrayList<>()).add(r);
      if (answers.get(last).size() == 1) {
        replied.recordValue(micros(r.atNanos() - start - last.intendedNanos()));
      }

      if (context) {
        // Shared state: the list is exactly the reader's nonces, each once, extending the previous list.
        List<String> prev = lastList.getOrDefault(r.inbox(), List.of());
        String why = contextProblem(r.inbox(), found, prev, firstSendOrder);
        shared.check(why.isEmpty(), last, r.inbox(), why + ": \"" + excerpt(r.text()) + "\"", r.atNanos(), start);
        lastList.put(r.inbox(), found);
      }

      // Order: no answer to one reader comes after an answer to a message sent after it (a pair the probe swapped
      // may go either way). Judged against the reader's last ORDER_WINDOW answers, so a message taken late does
      // not hide the inversions around it.
      if (last.user().equals(r.inbox()) && answers.get(last).size() == 1) {
        java.util.ArrayDeque<Plan.Msg> recent = answeredRecently.computeIfAbsent(r.inbox(), k -> new java.util.ArrayDeque<>());
        Plan.Msg overtaken = null;
        for (Plan.Msg before : recent) {
          if (inversion(before, last, firstSendOrder)) overtaken = before;
        }
        order.check(overtaken == null, last, r.inbox(), "answered after " + (overtaken == null ? "" : overtaken.id())
            + " though it was sent before it" + (options.sendSeq ? " with a lower seq" : ""), r.atNanos(), start);
        recent.addLast(last);
        if (recent.size() > ORDER_WINDOW) recent.removeFirst();
      }
    }

    for (Plan.Msg m : plan.messages) {
      List<Delivery> ds = byMsg.getOrDefault(m, List.of());
      if (ds.isEmpty()) {
        // Every honest message is sent unless the run was cut short (then `problem` says why).
        if (!m.hostile() && problem.isEmpty()) {
          stuck.check(false, m, m.user(), "the probe never sent it (its sender stopped early)", endNanos, start);
        }
        continue;
      }
      List<Seen> got = answers.getOrDefault(m, List.of());
      boolean wasAccepted = acceptedAt.containsKey(m);
      // Duplicate processing: one message, at most one answer; a first delivery is never "duplicate".
      if (wasAccepted || !got.isEmpty()) {
        dup.check(got.size() <= 1, m, m.user(), got.size() + " replies answer it (" + ds.size() + " deliveries)",
            got.size() > 1 ? got.get(1).atNanos() : start, start);
      }
      if (!m.hostile()) {
        boolean anyAccepted = ds.stream().anyMatch(d -> d.answer() == Answer.ACCEPTED);
        Delivery firstSent = ds.stream().min(java.util.Comparator.comparingLong(Delivery::sendOrder)).orElseThrow();
        // A delivery of it answered busy or refused (409 reject/drop) is the one the duplicate answer refers to:
        // twins in flight together, one refused (or dropped, and kept) while the other found its id taken.
        boolean refusedOnce = ds.stream().anyMatch(d -> d.answer() == Answer.BUSY || d.answer() == Answer.REFUSED);
        boolean takenAsDuplicate = !anyAccepted && !refusedOnce && firstSent.answer() == Answer.DUPLICATE;
        dup.check(!takenAsDuplicate || !got.isEmpty(), m, m.user(), "its first delivery was answered "
            + "\"duplicate\" and it was never answered: another sender's id was taken for it",
            ds.getFirst().answeredNanos(), start);
      }
      // Stuck: accepted, and no answer (or notice) within the reply timeout of its intended send time.
      if (wasAccepted && m.kind() != Plan.Kind.ID_SQUAT && m.kind() != Plan.Kind.CHAT_INTRUSION) {
        long deadline = Math.max(start + m.intendedNanos(), acceptedCalled.getOrDefault(m, start)) + timeoutNanos;
        boolean answeredInTime = got.stream().anyMatch(s -> s.atNanos() <= deadline);
        long refused = ds.stream().filter(d -> d.answer() == Answer.BUSY || d.answer() == Answer.REFUSED).count();
        boolean noticed = finalNotices.contains(m) || refusalNotices.getOrDefault(m, 0) > refused;
        boolean ok = answeredInTime || covered.contains(m) || noticed || takeNotice(unattributedNotices, m.user());
        Seen nonceless = blank.get(m);
        Recorder.Refused lost = refusedFor(m);
        stuck.check(ok, m, m.user(), got.isEmpty() && lost != null
            ? "accepted, and its reply never reached the user: " + lost.why()
            : got.isEmpty() && nonceless != null
            ? "accepted, and answered only by a reply of kind \"reply\" without its nonce (no answer to check): \""
                + excerpt(nonceless.text()) + "\""
            : got.isEmpty()
            ? "accepted, and neither answered nor refused within " + options.replyTimeout.toMillis() + " ms"
            : "answered only after " + (got.getFirst().atNanos() - start - m.intendedNanos()) / 1_000_000
                + " ms (reply timeout " + options.replyTimeout.toMillis() + " ms)", deadline, start);
      }
    }

    // With --seq a target that keeps order by it puts a swapped pair back: when both were taken on their first
    // delivery within its gap hold (--seq-hold), the lower-numbered one must be answered first.
    if (options.sendSeq) {
      Map<String, Plan.Msg> byUserSeq = new HashMap<>();
      for (Plan.Msg m : plan.messages) if (!m.hostile()) byUserSeq.put(m.user() + "\n" + m.seq(), m);
      for (Plan.Msg hi : plan.messages) {
        if (hi.hostile() || !hi.swappedWithPrevious()) continue;
        Plan.Msg lo = byUserSeq.get(hi.user() + "\n" + (hi.seq() - 1));
        if (lo == null || !takenFirstTime(byMsg.get(hi)) || !takenFirstTime(byMsg.get(lo))) continue;
        // From hi's send to lo's 202: the target took both within this span, so if it is below the target's gap
        // hold, lo reached it while hi was still held, whatever the load (a client-side bound on the engine side).
        long span = acceptedAt.getOrDefault(lo, Long.MAX_VALUE) - acceptedCalled.getOrDefault(hi, 0L);
        List<Seen> hiGot = answers.getOrDefault(hi, List.of());
        List<Seen> loGot = answers.getOrDefault(lo, List.of());
        if (span >= options.seqHold.toNanos() || hiGot.isEmpty() || loGot.isEmpty()) continue;
        order.check(loGot.getFirst().atNanos() <= hiGot.getFirst().atNanos(), lo, lo.user(), "sent right after "
            + hi.id() + " with the lower seq, but answered after it: the order key was not followed",
            hiGot.getFirst().atNanos(), start);
      }
    }

    if (options.level == ProbeOptions.Level.LEDGER) {
      long expected = 0;
      for (Plan.Msg m : plan.messages) {
        int times = answers.getOrDefault(m, List.of()).size();
        if (times == 0 && covered.contains(m)) times = 1;
        expected += (long) m.ledgerAdd() * times;
      }
      Plan.Msg any = plan.messages.getFirst();
      ledger.check(ledgerTotal != null && ledgerTotal == expected, any, "ledger",
          ledgerTotal == null ? "the final ledger query got no \"ledger total=<n>\" reply"
              : "the ledger holds " + ledgerTotal + ", the answered messages added " + expected, endNanos, start);
    }

    Map<String, PatternResult> patterns = new LinkedHashMap<>();
    results.forEach((name, r) -> {
      boolean applicable = switch (name) {
        case "shared_state" -> context;
        case "tool_race" -> options.level == ProbeOptions.Level.LEDGER;
        default -> true;
      };
      patterns.put(name, new PatternResult(applicable ? r.checked : -1, r.violations, List.copyOf(r.examples)));
    });

    Histogram busy = histogram();
    for (Delivery d : deliveries) {
      if (d.answer() == Answer.BUSY) busy.recordValue(micros(d.answeredNanos() - start - d.msg().intendedNanos()));
    }
    Map<String, ProbeReport.Latency> latency = new LinkedHashMap<>();
    latency.put("reply", latency(replied));
    latency.put("busy", latency(busy));
    latency.put("notice", latency(notices));
    long lastSend = deliveries.stream().mapToLong(Delivery::answeredNanos).max().orElse(start);
    double seconds = Math.max(1e-3, (lastSend - start) / 1e9);
    long sent = deliveries.size();
    long accepted = deliveries.stream().filter(d -> d.answer() == Answer.ACCEPTED).count();
    long busyAnswers = deliveries.stream().filter(d -> d.answer() == Answer.BUSY).count();
    long refused = deliveries.stream().filter(d -> d.answer() == Answer.REFUSED).count();
    var throughput = new ProbeReport.Throughput(sent, accepted, busyAnswers, refused, replies.size(), round(seconds),
        round(sent / seconds), round(replies.size() / Math.max(1e-3, (endNanos - start) / 1e9)));
    Map<String, List<ProbeReport.Point>> cdf = new LinkedHashMap<>();
    Map<String, List<ProbeReport.Point>> bars = new LinkedHashMap<>();
    Map<String, Histogram> hs = Map.of("reply", replied, "busy", busy, "notice", notices);
    for (String outcome : latency.keySet()) {
      Histogram h = java.util.Objects.requireNonNull(hs.get(outcome));
      List<ProbeReport.Point> c = new ArrayList<>();
      List<ProbeReport.Point> b = new ArrayList<>();
      if (h.getTotalCount() > 0) {
        for (var v : h.percentiles(5)) {
          c.add(new ProbeReport.Point(ms(v.getValueIteratedTo()), v.getPercentileLevelIteratedTo() / 100));
        }
        for (var v : h.logarithmicBucketValues(100, 2)) {
          b.add(new ProbeReport.Point(ms(v.getValueIteratedTo()), v.getCountAddedInThisIterationStep()));
        }
      }
      cdf.put(outcome, c);
      bars.put(outcome, b);
    }
    long runNanos = Math.max(1, endNanos - start);
    long tick = Math.max(100_000_000L, (runNanos / 60 + 99_999_999L) / 100_000_000L * 100_000_000L);
    int n = (int) (runNanos / tick + 1);
    long[][] ticks = new long[n][3];
    for (Delivery d : deliveries) ticks[bucket(d.calledNanos() - start, tick, n)][0]++;
    for (Seen r : replies) ticks[bucket(r.atNanos() - start, tick, n)][1]++;
    results.values().forEach(r -> r.when.forEach(w -> ticks[bucket(w, tick, n)][2]++));
    double perSecond = 1e9 / tick;
    List<ProbeReport.Tick> timeline = new ArrayList<>();
    for (int t = 0; t < n; t++) {
      timeline.add(new ProbeReport.Tick(round(t * tick / 1e9), round(ticks[t][0] * perSecond),
          round(ticks[t][1] * perSecond), round(ticks[t][2] * perSecond)));
    }
    Map<String, Long> answerCounts = new LinkedHashMap<>();
    for (Answer a : Answer.values()) answerCounts.put(a.name().toLowerCase(java.util.Locale.ROOT), 0L);
    Map<String, Long> statuses = new java.util.TreeMap<>();
    for (Delivery d : deliveries) {
      answerCounts.merge(d.answer().name().toLowerCase(java.util.Locale.ROOT), 1L, Long::sum);
      statuses.merge(Integer.toString(d.status()), 1L, Long::sum);
    }
    return new ProbeReport(patterns, latency, throughput, options.target.toString(), options.level.name(),
        options.seed, problem, cdf, bars, timeline, answerCounts, statuses);
  }

  /** Whether the message's first delivery was the one taken (accepted), not a refused one retried. */
  private static boolean takenFirstTime(@Nullable List<Delivery> ds) {
    if (ds == null || ds.isEmpty()) return false;
    return ds.stream().min(java.util.Comparator.comparingLong(Delivery::sendOrder)).orElseThrow().answer()
        == Answer.ACCEPTED;
  }

  /** A reply refused by the platform that answered {@code m}, or else one to its user naming no message. */
  private Recorder.@Nullable Refused refusedFor(Plan.Msg m) {
    Recorder.Refused any = null;
    for (Recorder.Refused r : record.refusedReplies()) {
      if (!r.inbox().equals(m.user())) continue;
      if (r.inReplyTo().equals(m.id())) return r;
      if (r.inReplyTo().isEmpty() && any == null) any = r;
    }
    return any;
  }

  private static int bucket(long nanos, long tick, int n) {
    return (int) Math.max(0, Math.min(n - 1, nanos / tick));
  }

  private static boolean takeNotice(Map<String, Integer> notices, String user) {
    Integer n = notices.get(user);
    if (n == null || n == 0) return false;
    notices.put(user, n - 1);
    return true;
  }

  private boolean swappedPair(Plan.Msg a, Plan.Msg b) {
    if (!a.user().equals(b.user())) return false;
    return (b.swappedWithPrevious() && b.seq() == a.seq() + 1) || (a.swappedWithPrevious() && a.seq() == b.seq() + 1);
  }

  /**
   * Whether {@code b}, answered or listed after {@code a}, should have come before it: it was sent (taken) before
   * {@code a} and is not one of a pair the probe swapped. With {@code --seq} the target may also follow the
   * messages' sequence numbers, so a message taken after a later-numbered one (a late redelivery) or put back in
   * number order is right either way: only a message both sent before and numbered below {@code a} is out of order.
   */
  private boolean inversion(Plan.Msg a, Plan.Msg b, Map<Plan.Msg, Long> sendOrder) {
    boolean sentBefore = sendOrder.getOrDefault(b, -1L) < sendOrder.getOrDefault(a, -1L);
    if (options.sendSeq) return sentBefore && b.seq() < a.seq();
    return sentBefore && !swappedPair(a, b);
  }

  /** Why a context reply's list is wrong, or "" when it is exactly the reader's nonces, in order. */
  private String contextProblem(String inbox, List<String> list, List<String> prev, Map<Plan.Msg, Long> sendOrder) {
    Set<String> seen = new HashSet<>();
    Plan.Msg before = null;
    for (String n : list) {
      Plan.Msg owner = plan.byNonce.get(n);
      if (owner == null) return "it quotes " + n + ", a nonce no one sent";
      if (!owner.user().equals(inbox)) return "it quotes " + owner.user() + "'s nonce " + n;
      if (!seen.add(n)) return "it quotes " + n + " (of " + owner.id() + ") twice";
      if (before != null && inversion(before, owner, sendOrder)) {
        return "it lists " + owner.id() + " after " + before.id() + " though it was sent before it";
      }
      before = owner;
    }
    if (prev.size() > list.size() || !list.subList(0, prev.size()).equals(prev)) {
      for (String n : prev) {
        if (!seen.contains(n)) return "it lost " + n + " that the previous reply listed";
      }
      return "it does not extend the previous reply's list";
    }
    return "";
  }

  private static Histogram histogram() {
    return new Histogram(3_600_000_000L, 3);
  }

  private static long micros(long nanos) {
    return Math.max(0, Math.min(3_600_000_000L, nanos / 1000));
  }

  private static ProbeReport.Latency latency(Histogram h) {
    if (h.getTotalCount() == 0) return new ProbeReport.Latency(0, 0, 0, 0, 0, 0);
    return new ProbeReport.Latency(h.getTotalCount(), ms(h.getValueAtPercentile(50)),
        ms(h.getValueAtPercentile(90)), ms(h.getValueAtPercentile(99)), ms(h.getValueAtPercentile(99.9)),
        ms(h.getMaxValue()));
  }

  private static double ms(long micros) {
    return round(micros / 1000.0);
  }

  private static double round(double v) {
    return Math.round(v * 1000) / 1000.0;
  }
}
