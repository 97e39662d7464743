package dev.baton.cli.demo;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.Agent;
import dev.baton.config.BatonConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/*
 * Overview: the hostile scenario (issue 10). Attackers with valid tokens run each known attack against the real
 * HTTP gateway (in process, 127.0.0.1, a free port), beside honest users whose traffic must still be served.
 * Each attack is judged only on what the attacker and the victim receive over the wire (statuses, the replies'
 * text, session part of the reply id and `turn`), and reported as a row of `attacks` (checked, violations) and
 * summed into its promise (P1, P2, P11, LOG, HTTP). An attack that succeeds is a violation: the demo fails.
 *
 * Five gateways, each with the configuration its attacks need (HostileConfig, tolerant of keys this build does
 * not have), run their attacks at the same time on virtual threads: chat_id on SQLite (session joins, log
 * forging), user_id on SQLite (id squatting, concurrent replay, NUL bytes), user_and_chat (unescaped join),
 * a small dedup.max_entries (eviction replay), and small bounds (chat spraying, never-polled replies, long polls).
 *
 * Every wait is bounded (a reply is awaited at most REPLY_WAIT); an attack that throws is reported as a
 * violation of its group's first attack, never a hang.
 */
public final class HostileScenario implements Scenario {

  static final String NAME = "hostile";
  static final Duration REPLY_WAIT = Duration.ofSeconds(5);
  /** The line an attacker tries to forge in the server's log, and the marker that finds it. */
  static final String MARKER = "FORGED-LINE";
  static final String FAKE_PREFIX = "00:00:00.000 ERROR";
  static final String FAKE_LINE = FAKE_PREFIX + " dev.baton.security.Admin " + MARKER + " admin token accepted for mallory";
  static final int DEDUP_BOUND = 64;
  static final int SPRAY = 100;
  static final int NEVER_POLLED = 120;
  static final int LONG_POLLS = 40;
  static final long SESSIONS_BOUND = 8;
  static final long QUEUED_TOTAL_BOUND = 48;
  static final long LONG_POLL_BOUND = 4;
  static final long OUTBOX_BOUND = 32;
  static final Duration SLOW_TURN = Duration.ofMillis(200);

  /** One attack: its promise, what the attacker does, and its tally. */
  static final class Attack {
    final String name;
    final String promise;
    final String what;
    final Tally tally;

    Attack(String name, String promise, String what) {
      this.name = name;
      this.promise = promise;
      this.what = what;
      this.tally = new Tally(promise, what);
    }

    boolean check(boolean ok, String violation) {
      return tally.check(ok, name + ": " + violation);
    }
  }

  private static final Map<String, String> PROMISE_MEANING = Map.of(
      "P1", "isolation: no attacker reaches another user's session, state or replies",
      "P2", "once: no attacker makes another user's message be refused or run twice",
      "P11", "bounded resources: an attacker is refused (429) at a documented bound, honest users still served",
      "LOG", "the server's log: no client value forges a log line",
      "HTTP", "the HTTP path: hostile input gets a clear 4xx, never a 5xx");

  private final Map<String, Attack> attacks = new LinkedHashMap<>();
  private final Map<String, AtomicLong> statuses = new ConcurrentHashMap<>();

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String summary() {
    return "attackers with valid tokens against the real HTTP gateway beside honest users (P1 P2 P11, logs)";
  }

  private Attack attack(String name, String promise, String what) {
    Attack a = new Attack(name, promise, what);
    attacks.put(name, a);
    return a;
  }

  @Override
  public DemoReport run(DemoOptions options, Progress progress) throws InterruptedException {
    Attack join1 = attack("session-join-1to1", "P1", "chat_id: Mallory posts chat=\"alice\" (Alice's 1:1 session)");
    Attack joinChat = attack("session-join-chat", "P1", "chat_id: Mallory posts in chat \"general\" without membership");
    Attack joinEsc = attack("session-join-escaping", "P1",
        "user_and_chat: user \"x:alice\" in \"general\" vs \"alice\" in \"general:x\"");
    Attack squat = attack("id-squatting", "P2", "Mallory posts Bob's message id first, and probes Bob's ids");
    Attack evict = attack("eviction-replay", "P2",
        "Mallory floods new ids past dedup.max_entries, Bob's message is redelivered");
    Attack replay = attack("replay-concurrent", "P2", "the same message from two connections at the same instant");
    Attack spray = attack("spray-chats", "P11", SPRAY + " new chats at once from one user, honest users beside");
    Attack mute = attack("never-polled-replies", "P11", NEVER_POLLED + " messages from a user who never polls");
    Attack polls = attack("long-poll-flood", "P11", LONG_POLLS + " concurrent 30 s long polls from one user");
    Attack logs = attack("log-forging", "LOG", "chat/id/text with a newline and a fake log line");
    Attack nul = attack("nul-bytes", "HTTP", "NUL bytes in text, chat and id (expected 400)");
    Attack tgAnon = attack("telegram-anonymous-admin", "P1",
        "anonymous admins of two unrelated Telegram groups (from.id 1087968824)");
    Attack slackTwice = attack("slack-mention-twice", "P2",
        "one Slack mention delivered as 'message' and as 'app_mention' (two event ids)");
    Attack waStale = attack("whatsapp-stale-message", "P2",
        "a signed WhatsApp message whose timestamp is 3 days old (a capture replayed past the dedup window)");

    long start = System.nanoTime();
    String secret = random();
    String admin = random();
    Path tmp;
    try {
      tmp = Files.createTempDirectory("baton-demo-hostile");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the demo's temporary directory", e);
    }
    Optional<LogCapture> capture = LogCapture.install(MARKER);
    Map<String, Object> gateways = new ConcurrentHashMap<>();
    try (ExecutorService groups = Executors.newVirtualThreadPerTaskExecutor()) {
      List<Future<?>> running = new ArrayList<>();
      running.add(group(groups, join1, () -> {
        HostileConfig c = HostileConfig.base(secret, admin).set("sessions.id_source", "chat_id")
            .set("storage.backend", "sqlite").set("storage.path", tmp.resolve("chat.db").toString());
        try (HostileGateway gw = gateway("chat_id/sqlite", c, secret, admin, gateways)) {
          sessionJoin1to1(gw, join1);
          sessionJoinChat(gw, joinChat);
          logForging(gw, logs, capture);
        }
      }));
      running.add(group(groups, squat, () -> {
        try (FakePlatform tg = new FakePlatform()) {
          HostileConfig c = HostileConfig.base(secret, admin)
              .set("storage.backend", "sqlite").set("storage.path", tmp.resolve("user.db").toString())
              .set("channels.telegram.enabled", true).set("channels.telegram.bot_token", "demo-bot")
              .set("channels.telegram.secret_token", secret).set("channels.telegram.api_base_url", tg.baseUrl())
              .set("channels.slack.enabled", true).set("channels.slack.signing_secret", secret)
              .set("channels.slack.bot_token", "xoxb-demo").set("channels.slack.api_base_url", tg.baseUrl())
              .set("channels.whatsapp.enabled", true).set("channels.whatsapp.verify_token", secret)
              .set("channels.whatsapp.app_secret", secret).set("channels.whatsapp.access_token", "demo-access")
              .set("channels.whatsapp.api_base_url", tg.baseUrl());
          try (HostileGateway gw = gateway("user_id/sqlite", c, secret, admin, gateways)) {
            idSquatting(gw, squat);
            concurrentReplay(gw, replay);
            nulBytes(gw, nul);
            PlatformAttacks.telegramAnonymousAdmins(gw, tgAnon, tg, secret);
            PlatformAttacks.slackMentionTwice(gw, slackTwice, tg, secret);
            PlatformAttacks.whatsappStale(gw, waStale, tg, secret);
          }
        }
      }));
      running.add(group(groups, joinEsc, () -> {
        HostileConfig c = HostileConfig.base(secret, admin).set("sessions.id_source", "user_and_chat");
        try (HostileGateway gw = gateway("user_and_chat/memory", c, secret, admin, gateways)) {
          escapingJoin(gw, joinEsc);
        }
      }));
      running.add(group(groups, evict, () -> {
        HostileConfig c = HostileConfig.base(secret, admin).set("dedup.max_entries", DEDUP_BOUND)
            .set("dedup.max_entries_per_sender", DEDUP_BOUND / 4).set("agent.concurrency.max_queue_per_session", 1_000);
        try (HostileGateway gw = gateway("dedup-bound/memory", c, secret, admin, gateways)) {
          evictionReplay(gw, evict);
        }
      }));
      running.add(group(groups, spray, () -> {
        HostileConfig c = HostileConfig.base(secret, admin).set("sessions.id_source", "chat_id")
            .set("agent.concurrency.max_queue_per_session", 1_000).set("channels.api.reply_buffer", OUTBOX_BOUND);
        long sessions = c.bound(HostileConfig.Bound.SESSIONS_PER_USER, SESSIONS_BOUND);
        c.bound(HostileConfig.Bound.QUEUED_TOTAL, QUEUED_TOTAL_BOUND);
        long pollBound = c.bound(HostileConfig.Bound.LONG_POLLS_PER_USER, LONG_POLL_BOUND);
        long outbox = c.bound(HostileConfig.Bound.OUTBOX_PER_USER, OUTBOX_BOUND);
        try (HostileGateway gw = gateway("bounds/memory", c, secret, admin, gateways)) {
          BoundAttacks.sprayChats(gw, spray, sessions, held);
          BoundAttacks.neverPolled(gw, mute, outbox);
          BoundAttacks.longPollFlood(gw, polls, pollBound);
        }
      }));
      for (Future<?> f : running) {
        try {
          f.get(120, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
          // reported by group() as a violation
        }
      }
      progress.finish(1, 1);
    } finally {
      capture.ifPresent(LogCapture::close);
      try (var files = Files.walk(tmp)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      } catch (IOException e) {
        // a temporary directory left behind is harmless
      }
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    return report(options.seed(), seconds, gateways);
  }

  private DemoReport report(long seed, double seconds, Map<String, Object> gateways) {
    Map<String, DemoReport.AttackResult> rows = new LinkedHashMap<>();
    Map<String, DemoReport.PromiseResult> promises = new java.util.TreeMap<>();
    for (Attack a : attacks.values()) {
      rows.put(a.name, new DemoReport.AttackResult(a.promise, a.what, a.tally.checked(), a.tally.violations(),
          a.tally.examples()));
      promises.merge(a.promise, new DemoReport.PromiseResult(PROMISE_MEANING.getOrDefault(a.promise, a.promise), a.tally.checked(),
          a.tally.violations(), a.tally.examples()), (x, y) -> {
            List<String> ex = new ArrayList<>(x.examples());
            ex.addAll(y.examples());
            return new DemoReport.PromiseResult(x.meaning(), x.checked() + y.checked(),
                x.violations() + y.violations(), List.copyOf(ex.subList(0, Math.min(5, ex.size()))));
          });
    }
    boolean passed = DemoReport.passed(promises)
        && rows.values().stream().allMatch(r -> r.checked() > 0 && r.violations() == 0);
    long requests = statuses.values().stream().mapToLong(AtomicLong::get).sum();
    Map<String, Long> messages = new LinkedHashMap<>();
    messages.put("requests", requests);
    messages.put("attacks", (long) rows.size());
    messages.put("attacks_succeeded", rows.values().stream().filter(r -> r.violations() > 0).count());
    Map<String, Object> load = new LinkedHashMap<>();
    load.put("gateways", new java.util.TreeMap<>(gateways));
    load.put("bound_keys", HostileConfig.boundKeys());
    Map<String, Object> http = new LinkedHashMap<>();
    http.put("requests", requests);
    Map<String, Long> st = new java.util.TreeMap<>();
    statuses.forEach((k, v) -> st.put(k, v.get()));
    http.put("statuses", st);
    return new DemoReport(NAME, seed, passed, promises, messages, load, Map.of(), Map.of(), seconds,
        requests / seconds, "http", http, rows);
  }

  private interface Body {
    void run() throws Exception;
  }

  private static Future<?> group(ExecutorService threads, Attack first, Body body) {
    return threads.submit(() -> {
      try {
        body.run();
      } catch (Exception | Error e) {
        first.check(false, "the attack could not run: " + e);
      }
      return null;
    });
  }

  private HostileGateway gateway(String name, HostileConfig c, String secret, String admin,
      Map<String, Object> gateways) {
    BatonConfig cfg = c.build("hostile " + name);
    HostileGateway gw = new HostileGateway(name, cfg, secret, admin, agent(cfg), statuses);
    gateways.put(name, gw.authority());
    return gw;
  }

  /**
   * The echo agent; a message whose text starts with "[slow]" takes SLOW_TURN (a slow model call), one that
   * starts with "[held]" waits until {@link #held} opens (at most REPLY_WAIT): its session stays live meanwhile.
   */
  private Agent agent(BatonConfig cfg) {
    Agent echo = SessionsScenario.agentFor(cfg);
    return turn -> {
      if (turn.messages().stream().anyMatch(m -> m.text().startsWith("[slow]"))) Thread.sleep(SLOW_TURN);
      if (turn.messages().stream().anyMatch(m -> m.text().startsWith("[held]"))) held.pass();
      echo.onTurn(turn);
    };
  }

  /** Holds "[held]" turns while closed, so an attack can count live sessions without racing their end. */
  static final class TurnGate {
    private volatile CountDownLatch latch = new CountDownLatch(0);

    void close() {
      latch = new CountDownLatch(1);
    }

    void open() {
      latch.countDown();
    }

    void pass() throws InterruptedException {
      if (!latch.await(REPLY_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new IllegalStateException("a held turn was never let go");
      }
    }
  }

  private final TurnGate held = new TurnGate();

  // ---- honest traffic -------------------------------------------------------------------------------------------

  /**
   * An honest user's message: posted (a 429 is retried, as a client does, for up to REPLY_WAIT), must be
   * accepted and answered with the echo of its text; checked in {@code a}. Returns the reply, if one came.
   */
  static Optional<HostileGateway.Received> served(HostileGateway gw, Attack a, HostileGateway.User u,
      String id, String text, @Nullable String chat) throws InterruptedException {
    long deadline = System.nanoTime() + REPLY_WAIT.toNanos();
    HostileGateway.Response r = gw.post(u, HostileGateway.message(id, text, chat));
    while (r.status() == 429 && System.nanoTime() < deadline) {
      Thread.sleep(50); // a client's back-off before retrying a 429 with the same id
      r = gw.post(u, HostileGateway.message(id, text, chat));
    }
    if (!a.check(r.status() == 202, "honest " + u.sub + "'s " + id + (chat == null ? "" : " in " + chat)
        + " was answered " + r.describe() + " (expected 202)")) return Optional.empty();
    Optional<HostileGateway.Received> reply = u.mailbox().await(id, REPLY_WAIT);
    a.check(reply.isPresent() && reply.get().text().startsWith(text + " (turn "),
        "honest " + u.sub + "'s " + id + " was " + reply.map(x -> "answered '" + x.text() + "'")
            .orElse("not answered within " + REPLY_WAIT.toSeconds() + " s"));
    return reply;
  }

  static long turn(Optional<HostileGateway.Received> r) {
    return r.map(HostileGateway.Received::turn).orElse(-1L);
  }

  private static void refused403(Attack a, HostileGateway.Response r, String what) {
    a.check(r.status() == 403, what + " was answered " + r.describe() + " (expected 403 forbidden, nothing stored)");
  }

  static void noReply(Attack a, HostileGateway.User u, String id) {
    u.mailbox().sweep();
    List<HostileGateway.Received> got = u.mailbox().repliesTo(id);
    a.check(got.isEmpty(), u.sub + " received " + got.size() + " repl(ies) to " + id + ": "
        + got.stream().map(x -> x.id() + " '" + x.text() + "'").toList());
  }

  // ---- P1: session joins ----------------------------------------------------------------------------------------

  private static void sessionJoin1to1(HostileGateway gw, Attack a) throws InterruptedException {
    var alice = gw.user("alice", List.of("general"));
    var mallory = gw.user("mallory", List.of("mallory-room"));
    long t1 = turn(served(gw, a, alice, "a1", "hello from alice", null));
    HostileGateway.Response r = gw.post(mallory, HostileGateway.message("m1", "hi", "alice"));
    refused403(a, r, "Mallory's {\"id\":\"m1\",\"text\":\"hi\",\"chat\":\"alice\"}");
    long t2 = turn(served(gw, a, alice, "a2", "alice again", null));
    a.check(t1 < 0 || t2 < 0 || t2 == t1 + 1, "Alice's next message ran as turn " + t2 + " after turn " + t1
        + ": another user's turn ran in her 1:1 session");
    noReply(a, mallory, "m1");
    served(gw, a, mallory, "m-own", "mallory's own message", null); // the attacker's own traffic still works
  }

  private static void sessionJoinChat(HostileGateway gw, Attack a) throws InterruptedException {
    var alice = gw.user("alice", List.of("general"));
    var carol = gw.user("carol", List.of("general"));
    var mallory = gw.user("mallory", List.of("mallory-room"));
    long t1 = turn(served(gw, a, alice, "g1", "alice in general", "general"));
    long t2 = turn(served(gw, a, carol, "g2", "carol in general", "general"));
    a.check(t1 < 0 || t2 < 0 || t2 == t1 + 1, "the members' shared chat did not count their turns together ("
        + t1 + ", " + t2 + ")");
    HostileGateway.Response r = gw.post(mallory, HostileGateway.message("m2", "let me in", "general"));
    refused403(a, r, "Mallory's post in chat 'general' (she is not a member)");
    long t3 = turn(served(gw, a, alice, "g3", "alice in general again", "general"));
    a.check(t2 < 0 || t3 < 0 || t3 == t2 + 1, "the members' next turn in 'general' is " + t3 + " after " + t2
        + ": a non-member's turn ran in their chat");
    noReply(a, mallory, "m2");
  }

  private static void escapingJoin(HostileGateway gw, Attack a) throws InterruptedException {
    var alice = gw.user("alice", List.of("general:x"));
    var evil = gw.user("x:alice", List.of("general"));
    served(gw, a, alice, "u1", "alice in general:x", "general:x");
    Optional<HostileGateway.Received> t2 = served(gw, a, alice, "u2", "alice again", "general:x");
    HostileGateway.Response r = gw.post(evil, HostileGateway.message("e1", "x:alice in general", "general"));
    a.check(r.status() == 202 || (r.status() >= 400 && r.status() < 500),
        "x:alice's post in 'general' was answered " + r.describe());
    if (r.status() == 202) {
      Optional<HostileGateway.Received> e = evil.mailbox().await("e1", REPLY_WAIT);
      a.check(e.isPresent() && turn(e) == 1 && (t2.isEmpty() || !e.get().session().equals(t2.get().session())),
          "x:alice in 'general' was answered " + e.map(x -> x.id() + " '" + x.text() + "'").orElse("nothing")
              + ": the same session as alice in 'general:x' (" + t2.map(HostileGateway.Received::id).orElse("?") + ")");
    }
    long t3 = turn(served(gw, a, alice, "u3", "alice third", "general:x"));
    a.check(t3 == 3, "alice's third message in 'general:x' ran as turn " + t3 + ": another user's turn ran in her session");
  }

  // ---- P2: dedup ------------------------------------------------------------------------------------------------

  private static void idSquatting(HostileGateway gw, Attack a) throws InterruptedException {
    var bob = gw.user("bob");
    var mallory = gw.user("mallory");
    gw.post(mallory, HostileGateway.message("m-77", "mallory squats m-77", null));
    HostileGateway.Response r = gw.post(bob, HostileGateway.message("m-77", "bob's own m-77", null));
    a.check(r.status() == 202, "Bob's own m-77 was answered " + r.describe()
        + " after Mallory posted m-77 first (expected 202: ids are the sender's own)");
    if (r.status() == 202) {
      Optional<HostileGateway.Received> reply = bob.mailbox().await("m-77", REPLY_WAIT);
      a.check(reply.isPresent() && reply.get().text().startsWith("bob's own m-77"),
          "Bob's m-77 was " + reply.map(x -> "answered '" + x.text() + "'").orElse("never answered"));
    }
    served(gw, a, bob, "b-5", "bob's b-5", null);
    HostileGateway.Response probe = gw.post(mallory, HostileGateway.message("b-5", "is b-5 taken?", null));
    a.check(probe.status() == 202, "Mallory's probe of Bob's id b-5 was answered " + probe.describe()
        + " (a 'duplicate' tells her Bob's ids)");
    mallory.mailbox().sweep();
    for (HostileGateway.Received x : mallory.mailbox().sweep()) {
      a.check(!x.text().contains("bob"), "Mallory received Bob's reply " + x.id() + " '" + x.text() + "'");
    }
  }

  private static void evictionReplay(HostileGateway gw, Attack a) throws Exception {
    var bob = gw.user("bob");
    var mallory = gw.user("mallory");
    served(gw, a, bob, "e-1", "bob's e-1", null);
    int flood = 3 * DEDUP_BOUND;
    AtomicLong refused = new AtomicLong();
    AtomicLong other = new AtomicLong();
    try (ExecutorService t = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int w = 0; w < 4; w++) {
        int worker = w;
        Future<?> unused = t.submit(() -> {
          for (int i = worker; i < flood; i += 4) {
            int s = gw.post(mallory, HostileGateway.message("flood-" + i, "flood " + i, null)).status();
            if (s == 429) refused.incrementAndGet();
            else if (s != 202) other.incrementAndGet();
          }
          return null;
        });
      }
    }
    a.check(refused.get() > 0, "none of Mallory's " + flood + " new ids was refused at dedup.max_entries "
        + DEDUP_BOUND + " (the bound made room by forgetting other users' records)");
    a.check(other.get() == 0, other.get() + " of Mallory's flood got a status other than 202/429");
    HostileGateway.Response again = gw.post(bob, HostileGateway.message("e-1", "bob's e-1", null));
    a.check(again.status() != 202, "Bob's e-1 redelivered after Mallory's flood was accepted again: "
        + again.describe());
    if (again.status() == 202) {
      long deadline = System.nanoTime() + REPLY_WAIT.toNanos();
      while (bob.mailbox().repliesTo("e-1").size() < 2 && System.nanoTime() < deadline) bob.mailbox().await("-", Duration.ofMillis(250));
    }
    // The flood used up Mallory's own share, not the channel: Bob's new message is taken at once (no retry).
    HostileGateway.Response fresh = gw.post(bob, HostileGateway.message("e-2", "bob's e-2", null));
    a.check(fresh.status() == 202, "after Mallory's flood Bob's new message e-2 was answered " + fresh.describe()
        + " (one sender filled the channel's dedup window for everyone)");
    bob.mailbox().sweep();
    List<HostileGateway.Received> got = bob.mailbox().repliesTo("e-1");
    a.check(got.size() == 1, "Bob received " + got.size() + " replies to his one message e-1: "
        + got.stream().map(x -> "'" + x.text() + "'").toList());
  }

  private static void concurrentReplay(HostileGateway gw, Attack a) throws Exception {
    var bob = gw.user("bob-replay");
    for (int i = 0; i < 5; i++) {
      String id = "r-" + i;
      CountDownLatch go = new CountDownLatch(1);
      try (ExecutorService t = Executors.newVirtualThreadPerTaskExecutor()) {
        Future<HostileGateway.Response> x = t.submit(() -> {
          go.await();
          return gw.post(bob, HostileGateway.message(id, "replayed " + id, null));
        });
        Future<HostileGateway.Response> y = t.submit(() -> {
          go.await();
          return gw.post(bob, HostileGateway.message(id, "replayed " + id, null));
        });
        go.countDown();
        int sx = x.get(30, TimeUnit.SECONDS).status();
        int sy = y.get(30, TimeUnit.SECONDS).status();
        a.check((sx == 202 && sy == 200) || (sx == 200 && sy == 202),
            id + " posted twice at once was answered " + sx + " and " + sy + " (expected one 202, one 200)");
      }
      bob.mailbox().await(id, REPLY_WAIT);
    }
    bob.mailbox().sweep();
    for (int i = 0; i < 5; i++) {
      int n = bob.mailbox().repliesTo("r-" + i).size();
      a.check(n == 1, "r-" + i + " sent twice at once was answered " + n + " times");
    }
  }

  // ---- P11: bounds ----------------------------------------------------------------------------------------------

  private static void logForging(HostileGateway gw, Attack a, Optional<LogCapture> capture)
      throws InterruptedException {
    if (!a.check(capture.isPresent(), "the server's log cannot be captured (the SLF4J backend is not logback)")) return;
    String chat = "room\n" + FAKE_LINE;
    var mallory = gw.user("mallory-log", List.of(chat));
    // seq 1 in new sessions: the gap before it is skipped after gap_timeout_ms and logged with the session key
    for (ObjectNode m : List.of(HostileGateway.message("log-1", "t\n" + FAKE_LINE, chat).put("seq", 1),
        HostileGateway.message("log-2\n" + FAKE_LINE, "t\r\n" + FAKE_LINE, null).put("seq", 1))) {
      HostileGateway.Response r = gw.post(mallory, m);
      a.check(r.status() == 202 || r.status() == 400 || r.status() == 403,
          "a post with a newline in it was answered " + r.describe());
      if (r.status() == 202) mallory.mailbox().await(m.path("id").asText(), REPLY_WAIT);
    }
    String log = capture.get().text();
    for (String event : capture.get().events()) {
      if (!event.contains(MARKER)) continue;
      String[] lines = event.split("\\R");
      boolean forged = false;
      for (int i = 1; i < lines.length; i++) forged |= lines[i].startsWith(FAKE_PREFIX);
      a.check(!forged, "the server's log has a forged line '" + FAKE_LINE + "' (from the event '"
          + event.strip().replace("\n", "\\n").replace("\r", "\\r") + "')");
    }
    a.check(log.lines().noneMatch(l -> l.startsWith(FAKE_PREFIX)), "a forged line starts a line of the log");
  }

  private static void nulBytes(HostileGateway gw, Attack a) throws InterruptedException {
    var eve = gw.user("eve-nul");
    List<ObjectNode> bodies = List.of(HostileGateway.message("nul-1", "a\u0000b", null),
        HostileGateway.message("nul-2", "chat with a NUL", "c\u0000d"),
        HostileGateway.message("nul\u00003", "id with a NUL", null));
    for (ObjectNode b : bodies) {
      HostileGateway.Response r = gw.post(eve, b);
      a.check(r.status() == 400, "a NUL byte in " + (b.path("text").asText().contains("\u0000") ? "text"
          : b.has("chat") ? "chat" : "id") + " was answered " + r.describe().replace("\u0000", "\\u0000")
          + " (expected 400)");
    }
    served(gw, a, eve, "nul-after", "eve after the NUL posts", null); // the gateway still serves her
  }

  private static String random() {
    byte[] b = new byte[32];
    new SecureRandom().nextBytes(b);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }
}
