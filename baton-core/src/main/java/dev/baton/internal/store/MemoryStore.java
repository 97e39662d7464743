package dev.baton.internal.store;

import dev.baton.DedupKey;
import dev.baton.Reply;
import dev.baton.SessionKey;
import dev.baton.Transcript;
import dev.baton.config.DedupConfig;
import dev.baton.spi.ConflictException;
import dev.baton.spi.IdempotencyRecords;
import dev.baton.spi.IngestResult;
import dev.baton.spi.JournalEntry;
import dev.baton.spi.MessageStatus;
import dev.baton.spi.SessionData;
import dev.baton.spi.Store;
import dev.baton.spi.StoreStats;
import dev.baton.spi.TurnCommit;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/*
 * Overview
 *   The `memory` backend: journal + dedup window (DedupJournal), per-session state, transcript, outbox and
 *   stream anchors (Sess), and idempotency records. Nothing survives the process.
 *
 * Concurrency
 *   No global lock. The journal is lock-free (see DedupJournal). Each session's data is guarded by its own
 *   Sess monitor; a commit takes exactly one Sess monitor and calls nothing that blocks or takes another
 *   lock while holding it, so commits of different sessions run in parallel and cannot deadlock.
 *   Sessions are created with computeIfAbsent (the constructor is trivial) only when a commit writes
 *   something or a stream anchor is put, so a session whose turns change nothing costs the store no memory.
 *   Anchors are bounded per session (Store.MAX_ANCHORS_PER_SESSION, insertion order, oldest evicted under the
 *   same monitor); there is no clock here, so prune does not age them (the bound alone holds them, P11).
 *
 * Failure
 *   commitTurn checks every expected value first and throws ConflictException before writing anything.
 */
/** The in-memory {@link Store}. Thread-safe; no operation blocks. */
public final class MemoryStore implements Store {

  private final DedupJournal journal;
  private final ConcurrentHashMap<SessionKey, Sess> sessions = new ConcurrentHashMap<>();
  private final MemoryIdempotency idempotency = new MemoryIdempotency();

  private final int maxTranscriptEntries;
  private final int maxOutboxPerSession;

  public MemoryStore(DedupConfig dedup) {
    this(dedup, dev.baton.config.StorageConfig.DEFAULT_MAX_TRANSCRIPT_ENTRIES,
        dev.baton.config.StorageConfig.DEFAULT_MAX_OUTBOX_PER_SESSION);
  }

  /**
   * With {@code storage.max_transcript_entries} and {@code storage.max_outbox_per_session}: a commit past one
   * drops the session's oldest entries or undelivered replies (P11).
   */
  public MemoryStore(DedupConfig dedup, int maxTranscriptEntries, int maxOutboxPerSession) {
    this.journal = new DedupJournal(dedup.windowMs(), dedup.maxEntries(), dedup.maxEntriesPerSender());
    this.maxTranscriptEntries = maxTranscriptEntries;
    this.maxOutboxPerSession = maxOutboxPerSession;
  }

  public MemoryStore() {
    this(DedupConfig.defaults());
  }

  /** One session's committed data. All fields guarded by {@code this}. */
  private static final class Sess {
    final Map<String, String> state = new HashMap<>();
    final List<Transcript.Entry> transcript = new ArrayList<>();
    final ArrayDeque<Reply> undelivered = new ArrayDeque<>();
    /** streamId -> anchor, in the order put (a replace moves it to the end). */
    final LinkedHashMap<String, String> anchors = new LinkedHashMap<>();
    long lastOutboxSeq;

    synchronized SessionData snapshot() {
      return new SessionData(state, transcript, lastOutboxSeq);
    }
  }

  @Override
  public IngestResult ingest(JournalEntry entry) {
    return journal.ingest(entry);
  }

  @Override
  public void release(DedupKey key) {
    journal.release(key);
  }

  @Override
  public void updateStatus(List<DedupKey> keys, MessageStatus status) {
    for (DedupKey k : keys) journal.updateStatus(k, status);
  }

  @Override
  public SessionData loadSession(SessionKey session) {
    Sess s = sessions.get(session);
    return s == null ? SessionData.empty() : s.snapshot();
  }

  @Override
  public List<Reply> commitTurn(TurnCommit c) {
    boolean writesSomething = !c.writes().isEmpty() || !c.transcript().isEmpty() || !c.replies().isEmpty();
    List<Reply> stored = List.of();
    if (writesSomething) {
      Sess s = sessions.computeIfAbsent(c.session(), k -> new Sess());
      synchronized (s) {
        checkExpected(c, s.state);
        for (Map.Entry<String, Optional<String>> w : c.writes().entrySet()) {
          if (w.getValue().isPresent()) s.state.put(w.getKey(), w.getValue().get());
          else s.state.remove(w.getKey());
        }
        s.transcript.addAll(c.transcript());
        int over = s.transcript.size() - maxTranscriptEntries;
        if (over > 0) s.transcript.subList(0, over).clear(); // P11: the newest entries are kept
        if (!c.replies().isEmpty()) {
          List<Reply> out = new ArrayList<>(c.replies().size());
          for (Reply r : c.replies()) {
            Reply numbered = r.withOutboxSeq(++s.lastOutboxSeq); // keeps streamId and covers
            s.undelivered.add(numbered);
            out.add(numbered);
          }
          // P11: like the SQL stores, by position: what is at or below last - max goes.
          while (!s.undelivered.isEmpty() && s.undelivered.peekFirst().outboxSeq() <= s.lastOutboxSeq - maxOutboxPerSession) {
            s.undelivered.removeFirst();
          }
          stored = List.copyOf(out);
        }
        // Status inside the monitor: a reader that sees the replies also sees the messages finished.
        updateStatus(c.messages(), c.status());
      }
    } else {
      Sess s = sessions.get(c.session());
      if (s == null) {
        checkExpected(c, Map.of());
      } else {
        synchronized (s) {
          checkExpected(c, s.state);
        }
      }
      updateStatus(c.messages(), c.status());
    }
    return stored;
  }

  private static void checkExpected(TurnCommit c, Map<String, String> state) {
    for (Map.Entry<String, Optional<String>> e : c.expected().entrySet()) {
      if (!Objects.equals(e.getValue().orElse(null), state.get(e.getKey()))) {
        throw new ConflictException("state key '" + e.getKey() + "' changed");
      }
    }
  }

  @Override
  public List<Reply> undeliveredReplies() {
    List<Reply> out = new ArrayList<>();
    for (Sess s : sessions.values()) {
      synchronized (s) {
        out.addAll(s.undelivered);
      }
    }
    return out;
  }

  @Override
  public void markDelivered(SessionKey session, long outboxSeq) {
    Sess s = sessions.get(session);
    if (s == null) return;
    synchronized (s) {
      for (Iterator<Reply> it = s.undelivered.iterator(); it.hasNext(); ) {
        if (it.next().outboxSeq() == outboxSeq) {
          it.remove();
          return;
        }
      }
    }
  }

  @Override
  public void putAnchor(SessionKey session, String streamId, String anchor) {
    checkAnchorArgs(session, streamId, anchor);
    Sess s = sessions.computeIfAbsent(session, k -> new Sess());
    synchronized (s) {
      s.anchors.remove(streamId); // a replace counts as the newest put
      s.anchors.put(streamId, anchor);
      Iterator<String> oldest = s.anchors.keySet().iterator();
      for (int over = s.anchors.size() - MAX_ANCHORS_PER_SESSION; over > 0; over--) {
        oldest.next();
        oldest.remove();
      }
    }
  }

  @Override
  public Optional<String> anchor(SessionKey session, String streamId) {
    Sess s = sessions.get(session);
    if (s == null) return Optional.empty();
    synchronized (s) {
      return Optional.ofNullable(s.anchors.get(streamId));
    }
  }

  @Override
  public void removeAnchor(SessionKey session, String streamId) {
    Sess s = sessions.get(session);
    if (s == null) return;
    synchronized (s) {
      s.anchors.remove(streamId);
    }
  }

  /** The ids are client-influenced: bounded, and never echoed in the message. */
  static void checkAnchorArgs(SessionKey session, String streamId, String anchor) {
    Objects.requireNonNull(session, "session");
    checkAnchorText("stream id", streamId);
    checkAnchorText("anchor", anchor);
  }

  private static void checkAnchorText(String what, String value) {
    Objects.requireNonNull(value, what);
    if (value.isEmpty() || value.length() > MAX_ANCHOR_CHARS) {
      throw new IllegalArgumentException(what + " must be 1.." + MAX_ANCHOR_CHARS + " chars, was " + value.length());
    }
  }

  @Override
  public List<JournalEntry> unfinished() {
    return journal.unfinished();
  }

  @Override
  public List<dev.baton.spi.Journaled> unfinishedPage(dev.baton.spi.@Nullable Journaled after, int limit) {
    return after == null ? journal.unfinishedPage(null, 0, limit)
        : journal.unfinishedPage(after.entry().session().value(), after.seq(), limit);
  }

  /** The status of a journaled message, or empty if the key is not (or no longer) journaled. */
  public Optional<MessageStatus> status(DedupKey key) {
    return journal.find(key);
  }

  @Override
  public IdempotencyRecords idempotency() {
    return idempotency;
  }

  @Override
  public long prune(Instant dedupBefore, Instant now) {
    return journal.prune(dedupBefore.toEpochMilli()) + idempotency.prune(now);
  }

  @Override
  public StoreStats stats() {
    long undelivered = 0;
    for (Sess s : sessions.values()) {
      synchronized (s) {
        undelivered += s.undelivered.size();
      }
    }
    return new StoreStats(journal.size(), journal.unfinishedCount(), undelivered, idempotency.size());
  }

  @Override
  public void close() {}
}
