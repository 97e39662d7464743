package dev.baton.jdbc.cluster;

import dev.baton.DedupKey;
import dev.baton.Reply;
import dev.baton.SessionKey;
import dev.baton.spi.ClusterLocks;
import dev.baton.spi.ClusterPermits;
import dev.baton.spi.ConflictException;
import dev.baton.spi.FencedException;
import dev.baton.spi.IdempotencyRecords;
import dev.baton.spi.IngestResult;
import dev.baton.spi.JournalEntry;
import dev.baton.spi.MessageStatus;
import dev.baton.spi.Scheduler;
import dev.baton.spi.SessionData;
import dev.baton.spi.SessionLeases;
import dev.baton.spi.Store;
import dev.baton.spi.StoreStats;
import dev.baton.spi.TurnCommit;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * The node's real store, seen from the side: every method is forwarded unchanged, and each turn commit is
 * reported as a line ({@code COMMIT}, {@code FENCED} or {@code CONFLICT} with the session, the fencing token
 * the engine passed and the message ids), so the test learns exactly which node's write the store took or
 * refused, whatever the engine logs. Every other method is forwarded as it is ({@link ForwardingStore}).
 *
 * <p><b>Fault injection, one session only ({@link #partitionRenewals}).</b> A node may go on believing it
 * holds a lease the database has already given away (a long GC or VM pause, a lost renewal, a slow clock).
 * The fault models that: from when it is switched on until the node's next commit for the session, this
 * node's lease calls for that session ({@code acquire}, {@code renew}, {@code current}, {@code release}) do
 * not reach the database; they answer as if the lease had been extended under the token the node last held.
 * The database lease therefore lapses and another node can take the session over, while this node's engine
 * still commits under its old token: exactly the write fencing must refuse. (The engine renews its leases
 * every third of the ttl, also while a turn runs, so without the fault a turn merely held up keeps its lease
 * and is never fenced.)
 *
 * <p><b>A slow submitter ({@code stallAfterIngest}).</b> For the messages it selects, the thread that journaled
 * a message stalls right after the insert committed, until the node's journal poll has run once since (a GC
 * pause or a descheduled thread at the worst moment): the poll and {@code submit} then both reach a message
 * that is journaled and not yet admitted, in the order that is hard to hit by chance; the message must still
 * run once.
 *
 * <p>Thread-safe: forwards to a thread-safe store; the fault state is a concurrent map and a monitor.
 */
final class ObservedStore extends ForwardingStore {

  /** Longest a submit is stalled (a poll comes every {@code poll_interval_ms}). */
  private static final Duration STALL_LIMIT = Duration.ofSeconds(2);

  private final Consumer<String> print;
  private final Scheduler clock;
  private final Duration ttl;
  /** Sessions whose lease calls are cut off -> the lease the node last held for them. */
  private final Map<SessionKey, Optional<SessionLeases.Lease>> partitioned = new ConcurrentHashMap<>();
  /** The last lease the database gave this node, per session. */
  private final Map<SessionKey, SessionLeases.Lease> lastHeld = new ConcurrentHashMap<>();
  /** Journal polls ({@code claimable} calls) begun by this node; they do not overlap. Guarded by itself. */
  private final long[] pollsBegun = new long[1];
  private final Predicate<JournalEntry> stallAfterIngest;

  ObservedStore(Store store, Consumer<String> print, Scheduler clock, Duration ttl,
      Predicate<JournalEntry> stallAfterIngest) {
    super(store);
    this.stallAfterIngest = stallAfterIngest;
    this.print = print;
    this.clock = clock;
    this.ttl = ttl;
  }

  /** Cuts this node's lease calls for {@code session} off the database until its next commit for it. */
  void partitionRenewals(SessionKey session) {
    partitioned.put(session, Optional.ofNullable(lastHeld.get(session)));
    print.accept("PARTITIONED " + session + " " + Optional.ofNullable(lastHeld.get(session))
        .map(l -> Long.toString(l.token())).orElse("-"));
  }

  @Override
  public List<Reply> commitTurn(TurnCommit commit) {
    String what = commit.session() + " " + commit.fencingToken() + " " + commit.status() + " "
        + commit.messages().stream().map(k -> k.value().substring(k.value().lastIndexOf(':') + 1)) // the message id
            .collect(Collectors.joining(","));
    try {
      List<Reply> stored = delegate.commitTurn(commit);
      print.accept("COMMIT " + what);
      return stored;
    } catch (FencedException e) {
      print.accept("FENCED " + what);
      throw e;
    } catch (ConflictException e) {
      print.accept("CONFLICT " + what);
      throw e;
    } finally {
      partitioned.remove(commit.session());
    }
  }

  @Override
  public Optional<SessionLeases> leases() {
    return delegate.leases().map(Leases::new);
  }

  /** Forwards to the real leases, except the calls the fault cuts off. */
  private final class Leases extends ForwardingLeases {
    private final SessionLeases leases;

    Leases(SessionLeases leases) {
      super(leases);
      this.leases = leases;
    }

    /** The faked answer when the fault cuts {@code session} off, else empty (then the call goes through). */
    private Optional<Lease> faked(SessionKey session, String owner, Duration ttl, String op) {
      Optional<Lease> held = partitioned.getOrDefault(session, Optional.empty());
      held.ifPresent(l -> print.accept("LEASE-CUT " + op + " " + session + " " + l.token()));
      return held.map(l -> new Lease(session, owner, l.token(), clock.now().plus(ttl)));
    }

    private Optional<Lease> remember(Optional<Lease> lease) {
      lease.ifPresent(l -> lastHeld.put(l.session(), l));
      return lease;
    }

    @Override
    public Optional<Lease> acquire(SessionKey session, String owner, Duration ttl) {
      Optional<Lease> faked = faked(session, owner, ttl, "acquire");
      return faked.isPresent() ? faked : remember(leases.acquire(session, owner, ttl));
    }

    @Override
    public Optional<Lease> renew(Lease lease, Duration ttl) {
      Optional<Lease> faked = faked(lease.session(), lease.owner(), ttl, "renew");
      return faked.isPresent() ? faked : remember(leases.renew(lease, ttl));
    }

    @Override
    public void release(Lease lease) {
      if (partitioned.getOrDefault(lease.session(), Optional.empty()).isPresent()) {
        print.accept("LEASE-CUT release " + lease.session());
        return;
      }
      leases.release(lease);
    }

    @Override
    public Optional<Lease> current(SessionKey session) {
      Optional<Lease> faked = faked(session, lastHeld.get(session) == null ? "" : lastHeld.get(session).owner(), ttl,
          "current");
      return faked.isPresent() ? faked : leases.current(session);
    }

    @Override
    public List<Claimable> claimable(String owner, long afterSeq, int limit) {
      synchronized (pollsBegun) {
        pollsBegun[0]++;
        pollsBegun.notifyAll();
      }
      return leases.claimable(owner, afterSeq, limit);
    }
  }

  // Everything else: forwarded as it is.

  @Override
  public IngestResult ingest(JournalEntry entry) {
    IngestResult result = delegate.ingest(entry);
    if (result instanceof IngestResult.Inserted && stallAfterIngest.test(entry)) awaitPollAfterInsert();
    return result;
  }

  /**
   * Stalls the submitting thread, its insert committed, until a journal poll that began after the insert has
   * run to its end (the poll after it has begun): the poll has then seen the message and, if this node owns
   * its session, taken it, all before {@code submit} goes on to admit it. At most {@link #STALL_LIMIT}.
   */
  private void awaitPollAfterInsert() {
    long deadline = System.nanoTime() + STALL_LIMIT.toNanos();
    synchronized (pollsBegun) {
      long target = pollsBegun[0] + 2;
      try {
        while (pollsBegun[0] < target) {
          long left = deadline - System.nanoTime();
          if (left <= 0) return;
          TimeUnit.NANOSECONDS.timedWait(pollsBegun, left);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
