package dev.baton.jdbc.crash;

import dev.baton.Admission;
import dev.baton.Baton;
import dev.baton.InboundMessage;
import dev.baton.SessionKey;
import dev.baton.Turn;
import dev.baton.config.BatonConfig;
import dev.baton.config.ConcurrencyConfig;
import dev.baton.config.StorageConfig;
import dev.baton.internal.agent.EchoAgent;
import dev.baton.jdbc.SqliteStore;
import dev.baton.spi.IdempotencyRecords;
import dev.baton.spi.Scheduler;
import dev.baton.spi.Store;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.locks.LockSupport;

/**
 * A Baton node for the crash test, run as its own JVM and killed with kill -9. The engine runs on a SQLite
 * store with the echo agent, preceded in every turn by a "tool" whose side effect is appending the message id
 * to a file, guarded by an idempotency record.
 *
 * <p>Protocol, one line each. In (stdin): {@code MSG <user> <id> <text>}, {@code QUIT}. Out (stdout):
 * {@code READY}, {@code ACK <id>} (submit returned Accepted: journaled durably), {@code DUP <id>},
 * {@code NACK <id> <what>}, {@code REPLY <session> <outboxSeq> <turn> <inReplyTo>} (printed, then marked
 * delivered), {@code PAUSED <point> <id>} (blocked at a kill point), {@code BYE}.
 *
 * <p>Args: {@code <db> <effects-file> <executions-file> [<point>:<id>]}; points: {@code before-tool},
 * {@code after-tool} (side effect and record done, turn not committed), {@code in-reply} (reply printed, not
 * marked delivered).
 */
public final class CrashNode {

  private static final PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
  private static String pausePoint = "";
  private static String pauseId = "";

  public static void main(String[] args) throws Exception {
    Path db = Path.of(args[0]);
    Path effects = Path.of(args[1]);
    Path executions = Path.of(args[2]);
    if (args.length > 3) {
      String[] p = args[3].split(":", 2);
      pausePoint = p[0];
      pauseId = p[1];
    }
    Store store = SqliteStore.open(StorageConfig.sqlite(db.toString()), Duration.ofDays(1), Scheduler.system());
    IdempotencyRecords ids = store.idempotency();
    EchoAgent echo = new EchoAgent();
    BatonConfig defaults = BatonConfig.defaults();
    ConcurrencyConfig c = defaults.agent().concurrency();
    BatonConfig config = defaults.withAgent(defaults.agent().withConcurrency(new ConcurrencyConfig(1, 16, 100_000,
        600_000, ConcurrencyConfig.OverflowAction.REJECT, c.busyMessage(), ConcurrencyConfig.QueueMode.FOLLOWUP, 0)));
    Baton baton = Baton.builder().config(config).store(store).agent(turn -> {
      SessionKey session = turn.context().session();
      for (Turn.Message m : turn.messages()) {
        pause("before-tool", m.id());
        appendOnce(ids, session, m.id(), effects, executions);
        pause("after-tool", m.id());
      }
      echo.onTurn(turn);
    }).replies(r -> {
      print("REPLY " + r.session() + " " + r.outboxSeq() + " " + r.turn().orElse(-1) + " " + r.inReplyTo());
      pause("in-reply", r.inReplyTo());
      store.markDelivered(r.session(), r.outboxSeq());
    }).build();
    print("READY");

    // One submitting thread per user keeps each user's arrival order; users submit in parallel.
    Map<String, LinkedBlockingQueue<String[]>> lanes = new ConcurrentHashMap<>();
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    for (String line; (line = in.readLine()) != null; ) {
      if (line.equals("QUIT")) break;
      String[] f = line.split(" ", 4);
      lanes.computeIfAbsent(f[1], u -> {
        LinkedBlockingQueue<String[]> q = new LinkedBlockingQueue<>();
        Thread.ofVirtual().start(() -> submitLoop(baton, q));
        return q;
      }).add(f);
    }
    baton.close();
    store.close();
    print("BYE");
    out.flush();
    System.exit(0);
  }

  private static void submitLoop(Baton baton, LinkedBlockingQueue<String[]> q) {
    while (true) {
      String[] f;
      try {
        f = q.take();
      } catch (InterruptedException e) {
        return;
      }
      Admission a = baton.submit(InboundMessage.of("crash", f[2], f[1], f[3], Instant.EPOCH));
      switch (a) {
        case Admission.Accepted x -> print("ACK " + f[2]);
        case Admission.Duplicate x -> print("DUP " + f[2]);
        default -> print("NACK " + f[2] + " " + a);
      }
    }
  }

  /**
   * The tool: append {@code id} to the effects file once. A stored record means the call completed: return
   * without running. Without one, the call may have been cut between its side effect and its record by a
   * crash, so it checks the target before appending (what an idempotent tool does with an external target).
   */
  private static void appendOnce(IdempotencyRecords ids, SessionKey s, String id, Path effects, Path executions) {
    if (ids.find(s, "append", id).isPresent()) return;
    try {
      Files.writeString(executions, id + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
      boolean done = Files.exists(effects) && Files.readAllLines(effects).contains(id);
      if (!done) Files.writeString(effects, id + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    ids.putIfAbsent(s, "append", id, new IdempotencyRecords.Record("-", "ok", "{}", Instant.now().plusSeconds(86_400)));
  }

  private static void pause(String point, String id) {
    if (point.equals(pausePoint) && id.equals(pauseId)) {
      print("PAUSED " + point + " " + id);
      while (true) LockSupport.park(); // until kill -9
    }
  }

  private static void print(String line) {
    synchronized (out) {
      out.println(line);
      out.flush();
    }
  }
}
