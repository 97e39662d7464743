package dev.baton.gateway.internal;

import dev.baton.config.AdminConfig;
import dev.baton.spi.Scheduler;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;

/*
 * Overview: the console's logins. A login with the right admin token (compared in constant time) creates a
 * session: a random opaque id (32 bytes from SecureRandom, sent only as the HttpOnly cookie) and a random CSRF
 * token (sent in the page, required on every POST). The table is keyed by the SHA-256 of the id, so neither the
 * id nor the token is ever kept in a form a heap dump or a log could replay; logs name a session by the first 12
 * hex digits of that hash ("who" of an action).
 * Expiry: a session ends console_idle_ms after its last request (by the Scheduler's clock), and at logout.
 * Bounds (P11): at most console_max_sessions sessions; one more evicts the least recently used. Failed logins
 * are limited to MAX_FAILURES per FAILURE_WINDOW per client address (then 429 until the window passes), so the
 * token cannot be guessed at network speed and a stranger spraying wrong tokens does not lock out an operator who
 * logs in from elsewhere; at most MAX_CLIENTS addresses are remembered (the least recently seen forgotten). An
 * attempt takes its slot before the comparison, so parallel requests get no more than MAX_FAILURES guesses; a
 * right token gives its slot back. The comparison itself is constant-time.
 * Concurrency: one ReentrantLock over the table and the failure window; nothing blocks under it.
 */
final class ConsoleAuth {

  static final int MAX_FAILURES = 10;
  static final long FAILURE_WINDOW_NANOS = 60_000_000_000L;
  static final int MAX_CLIENTS = 4096;

  /** One client address's failed logins in its current window. */
  private static final class Window {
    long start;
    int failures;

    Window(long start) {
      this.start = start;
    }
  }

  /** A logged-in console session: the hash that names it, its CSRF token, its last use (Scheduler nanos). */
  static final class Session {
    final String hash;
    final String csrf;
    long lastUsed;

    Session(String hash, String csrf, long lastUsed) {
      this.hash = hash;
      this.csrf = csrf;
      this.lastUsed = lastUsed;
    }

    /** The short name of this session in logs. */
    String who() {
      return "console:" + hash.substring(0, 12);
    }
  }

  /** A new login: the cookie value (give it to the browser only) and its session. */
  record Login(String cookie, Session session) {}

  /** Thrown when too many logins failed lately. */
  static final class Throttled extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Throttled() {
      super("too many failed logins; wait a minute", null, false, false);
    }
  }

  private final AdminConfig admin;
  private final Scheduler scheduler;
  private final SecureRandom random = new SecureRandom();
  private final ReentrantLock lock = new ReentrantLock();
  private final LinkedHashMap<String, Session> sessions = new LinkedHashMap<>(16, 0.75f, true);
  /** Failed logins by client address, least recently seen first (guarded by lock). */
  private final LinkedHashMap<String, Window> windows = new LinkedHashMap<>(16, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(java.util.Map.Entry<String, Window> e) {
      return size() > MAX_CLIENTS;
    }
  };

  ConsoleAuth(AdminConfig admin, Scheduler scheduler) {
    this.admin = admin;
    this.scheduler = scheduler;
  }

  /** {@link #login(String, String)} from one unnamed client (tests). */
  Optional<Login> login(String token) {
    return login(token, "");
  }

  /**
   * Checks {@code token} against admin.token and on a match opens a session.
   *
   * @param client the client's address: failed logins are counted per address
   * @throws Throttled when MAX_FAILURES logins from {@code client} failed in the current window (the token is
   *     not even compared)
   */
  Optional<Login> login(String token, String client) {
    long now = scheduler.nanoTime();
    Window w;
    lock.lock();
    try {
      w = windows.computeIfAbsent(client, c -> new Window(now));
      if (now - w.start >= FAILURE_WINDOW_NANOS) {
        w.start = now;
        w.failures = 0;
      }
      if (w.failures >= MAX_FAILURES) throw new Throttled();
      w.failures++; // the slot is taken before the comparison: parallel guesses cannot pass the limit
    } finally {
      lock.unlock();
    }
    if (!Signatures.equal(admin.token(), token)) return Optional.empty();
    lock.lock();
    try {
      if (w.failures > 0) w.failures--; // the right token gives its slot back
    } finally {
      lock.unlock();
    }
    String id = randomToken();
    Session s = new Session(hash(id), randomToken(), now);
    lock.lock();
    try {
      expire(now);
      while (sessions.size() >= admin.consoleMaxSessions()) {
        Iterator<String> eldest = sessions.keySet().iterator();
        eldest.next();
        eldest.remove();
      }
      sessions.put(s.hash, s);
    } finally {
      lock.unlock();
    }
    return Optional.of(new Login(id, s));
  }

  /** The live session of a cookie value, touched (its idle time starts again); empty when unknown or expired. */
  Optional<Session> session(String cookie) {
    if (cookie.isEmpty() || cookie.length() > 128) return Optional.empty();
    String h = hash(cookie);
    long now = scheduler.nanoTime();
    lock.lock();
    try {
      Session s = sessions.get(h);
      if (s == null) return Optional.empty();
      if (now - s.lastUsed >= idleNanos()) {
        sessions.remove(h);
        return Optional.empty();
      }
      s.lastUsed = now;
      return Optional.of(s);
    } finally {
      lock.unlock();
    }
  }

  /** Whether the session is still live (for a long-running stream: ends it once expired or logged out). */
  boolean live(Session s) {
    long now = scheduler.nanoTime();
    lock.lock();
    try {
      return sessions.get(s.hash) == s && now - s.lastUsed < idleNanos();
    } finally {
      lock.unlock();
    }
  }

  /** Keeps a session with an open live stream from expiring while the page is open. */
  void touch(Session s) {
    long now = scheduler.nanoTime();
    lock.lock();
    try {
      if (sessions.get(s.hash) == s) s.lastUsed = now;
    } finally {
      lock.unlock();
    }
  }

  void logout(Session s) {
    lock.lock();
    try {
      sessions.remove(s.hash);
    } finally {
      lock.unlock();
    }
  }

  /** Whether {@code given} is the session's CSRF token (constant time). */
  static boolean csrfMatches(Session s, String given) {
    return !given.isEmpty() && Signatures.equal(s.csrf, given);
  }

  int size() {
    lock.lock();
    try {
      return sessions.size();
    } finally {
      lock.unlock();
    }
  }

  private long idleNanos() {
    return admin.consoleIdleMs() * 1_000_000L;
  }

  private void expire(long now) {
    sessions.values().removeIf(s -> now - s.lastUsed >= idleNanos());
  }

  private String randomToken() {
    byte[] b = new byte[32];
    random.nextBytes(b);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  static String hash(String s) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
