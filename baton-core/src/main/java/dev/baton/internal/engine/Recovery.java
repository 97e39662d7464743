package dev.baton.internal.engine;

import dev.baton.OrderKey;
import dev.baton.Reply;
import dev.baton.spi.JournalEntry;
import dev.baton.spi.Journaled;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.jspecify.annotations.Nullable;

/*
 * Overview
 *   A single node's start (P11; LocalOwnership.start): re-offers undelivered replies, then re-queues
 *   unfinished messages, reading both a page at a time so the memory it takes does not grow with the
 *   backlog. The journal comes grouped by session; one session's entries are sorted by order key (ordered
 *   messages were released in key order before the crash) and admitted before the next session's are read
 *   on. Recovered messages bypass caps and reordering: they were admitted before.
 *
 * Concurrency
 *   Runs once, on the thread that starts the engine, before start() returns. Confined.
 *
 * Failure
 *   A store error propagates out of Baton.Builder.build (the engine does not start).
 */
/** The recovery of a single node's unfinished work at start. */
final class Recovery {

  /** Rows recovery holds at once: one page of the outbox, then of the journal, plus one session's work. */
  static final int PAGE = 500;

  private final Engine engine;

  Recovery(Engine engine) {
    this.engine = engine;
  }

  void run() {
    @Nullable Reply lastReply = null;
    while (true) {
      List<Reply> page = engine.store.undeliveredRepliesPage(lastReply, PAGE);
      if (page.isEmpty()) break;
      for (Reply r : page) engine.deliver(r);
      lastReply = page.getLast();
    }
    long now = engine.scheduler.nanoTime();
    List<JournalEntry> session = new ArrayList<>();
    long n = 0;
    @Nullable Journaled last = null;
    while (true) {
      List<Journaled> page = engine.store.unfinishedPage(last, PAGE);
      if (page.isEmpty()) break;
      for (Journaled j : page) {
        if (!session.isEmpty() && !session.getFirst().session().equals(j.entry().session())) {
          n += recoverSession(session, now);
        }
        session.add(j.entry());
      }
      last = page.getLast();
    }
    n += recoverSession(session, now);
    if (n > 0) engine.log.info("recovered {} unfinished message(s)", n);
    engine.dispatcher.pump();
  }

  private int recoverSession(List<JournalEntry> entries, long now) {
    int n = entries.size();
    entries.sort(Comparator.comparingLong(Recovery::orderOf));
    for (JournalEntry e : entries) engine.admitRecovered(new QueuedMessage(e, now));
    entries.clear();
    return n;
  }

  private static long orderOf(JournalEntry e) {
    return switch (e.message().order()) {
      case OrderKey.Sequence s -> s.seq();
      case OrderKey.Monotonic m -> m.key();
      case OrderKey.None n -> 0;
    };
  }
}
