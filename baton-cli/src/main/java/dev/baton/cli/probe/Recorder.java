package dev.baton.cli.probe;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/*
 * Overview: what the probe saw, and nothing it inferred: every delivery of a message with the target's answer
 * and its times, every reply with the inbox it reached and when. The checks (Checks) read it after the run.
 *
 * Concurrency: thread-safe. Sender threads add deliveries and reply readers add replies concurrently; the
 * per-sender send order is an atomic counter taken right before the request is written.
 */
final class Recorder {

  /** The target's answer to one delivery. */
  enum Answer { ACCEPTED, DUPLICATE, BUSY, REFUSED, UNAUTHORIZED, FAILED }

  record Delivery(Plan.Msg msg, long sendOrder, long calledNanos, long answeredNanos, Answer answer, int status) {}

  /**
   * A reply as it reached {@code inbox}: its text, and what the target said about it where it says ({@code kind}
   * "" when it gave none, as on a platform: Telegram's messages carry no kind).
   */
  record Seen(String inbox, String text, String kind, String inReplyTo, long atNanos, List<String> covers) {
    Seen(String inbox, String text, String kind, String inReplyTo, long atNanos) {
      this(inbox, text, kind, inReplyTo, atNanos, List.of());
    }
  }

  /** A reply the platform refused to deliver to {@code inbox} (the stand-in Bot API, as the real one would). */
  record Refused(String inbox, String inReplyTo, String why, long atNanos) {}

  final long startNanos;
  private final List<Refused> refused = java.util.Collections.synchronizedList(new ArrayList<>());
  private final List<Delivery> deliveries = java.util.Collections.synchronizedList(new ArrayList<>());
  private final List<Seen> replies = java.util.Collections.synchronizedList(new ArrayList<>());
  private final Map<String, AtomicLong> sendOrder = new ConcurrentHashMap<>();
  final AtomicInteger sent = new AtomicInteger();
  final AtomicInteger accepted = new AtomicInteger();
  final AtomicInteger received = new AtomicInteger();

  /** Why the target cannot be driven, as one sentence, when a reader found out (e.g. no GET /v1/events); "" if not. */
  private volatile String cannotDrive = "";

  Recorder(long startNanos) {
    this.startNanos = startNanos;
  }

  /** The next position in {@code sender}'s send order: taken right before a delivery is written. */
  long nextSendOrder(String sender) {
    return sendOrder.computeIfAbsent(sender, k -> new AtomicLong()).getAndIncrement();
  }

  void delivered(Delivery d) {
    deliveries.add(d);
    sent.incrementAndGet();
    if (d.answer() == Answer.ACCEPTED) accepted.incrementAndGet();
  }

  /** The nonce each reply quotes last, as it came (for the wait at the end and the progress, not the checks). */
  private final java.util.Set<String> lastNonces = ConcurrentHashMap.newKeySet();
  /** Per "user\nid": notices that may stand for a refusal (busy, or no kind), and the final ones (error, cancelled). */
  private final Map<String, AtomicInteger> refusalNotices = new ConcurrentHashMap<>();
  private final java.util.Set<String> finalNotices = ConcurrentHashMap.newKeySet();

  /**
   * Whether a reply is a notice (docs/probe.md): kind busy, error or cancelled, or no nonce and no kind (a platform's
   * message says no kind). A reply of kind "reply" without a nonce is no notice: it answers nothing.
   */
  static boolean isNotice(String kind, List<String> nonces) {
    return kind.equals("busy") || isFinalNotice(kind) || (nonces.isEmpty() && !kind.equals("reply"));
  }

  /** Whether a notice ends its message for good (an error or a cancel), rather than refusing one delivery. */
  static boolean isFinalNotice(String kind) {
    return kind.equals("error") || kind.equals("cancelled");
  }

  /** Records a reply; returns its index (for {@link #edited}). */
  int replied(Seen s) {
    List<String> nonces = Checks.nonces(s.text());
    if (isNotice(s.kind(), nonces)) {
      String key = s.inbox() + "\n" + s.inReplyTo();
      if (isFinalNotice(s.kind())) finalNotices.add(key);
      else refusalNotices.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
    } else if (!nonces.isEmpty()) {
      lastNonces.add(nonces.getLast());
    }
    synchronized (replies) {
      replies.add(s);
      received.incrementAndGet();
      replies.notifyAll();
      return replies.size() - 1;
    }
  }

  /** The reply at {@code index} was edited to {@code text} (a platform's editMessageText): its final text counts. */
  void edited(int index, String text) {
    List<String> nonces = Checks.nonces(text);
    if (!nonces.isEmpty()) lastNonces.add(nonces.getLast());
    synchronized (replies) {
      Seen s = replies.get(index);
      replies.set(index, new Seen(s.inbox(), text, s.kind(), s.inReplyTo(), s.atNanos(), s.covers()));
    }
  }

  /**
   * Whether {@code m} has been answered as far as the wait at the end can tell (Checks decides for real): a reply
   * quoting its nonce last, a final notice, or more refusal notices than deliveries of it that were refused.
   */
  boolean seemsAnswered(Plan.Msg m, long refusedDeliveries) {
    if (lastNonces.contains(m.nonce())) return true;
    String key = m.user() + "\n" + m.id();
    if (finalNotices.contains(key)) return true;
    AtomicInteger n = refusalNotices.get(key);
    return n != null && n.get() > refusedDeliveries;
  }

  /** The platform refused a reply: it never reached the user (kept as evidence for the message it answered). */
  void replyRefused(Refused r) {
    refused.add(r);
  }

  List<Refused> refusedReplies() {
    synchronized (refused) {
      return List.copyOf(refused);
    }
  }

  /** A reader found that the target cannot be driven: the run stops and ends with exit 2 and this sentence. */
  void cannotDrive(String sentence) {
    synchronized (this) {
      if (cannotDrive.isEmpty()) cannotDrive = sentence;
    }
  }

  String cannotDrive() {
    return cannotDrive;
  }

  /** Waits until at least {@code count} replies were recorded or {@code timeoutNanos} passed; true if they were. */
  boolean awaitReplies(int count, long timeoutNanos) throws InterruptedException {
    long deadline = System.nanoTime() + timeoutNanos;
    synchronized (replies) {
      while (replies.size() < count) {
        long left = deadline - System.nanoTime();
        if (left <= 0) return false;
        java.util.concurrent.TimeUnit.NANOSECONDS.timedWait(replies, left);
      }
      return true;
    }
  }

  List<Delivery> deliveries() {
    synchronized (deliveries) {
      return List.copyOf(deliveries);
    }
  }

  List<Seen> replies() {
    synchronized (replies) {
      return List.copyOf(replies);
    }
  }
}
