package dev.baton.internal.engine;

import dev.baton.IdSource;
import dev.baton.config.AgentConfig;
import dev.baton.config.BatonConfig;
import dev.baton.config.ConcurrencyConfig;
import dev.baton.config.ConcurrencyConfig.OverflowAction;
import dev.baton.config.ConcurrencyConfig.QueueMode;
import dev.baton.config.DedupConfig;
import dev.baton.config.OrderingConfig;
import dev.baton.config.SessionsConfig;

/** A mutable builder of {@link BatonConfig} for tests. */
final class Cfg {
  int maxPerSession = 1;
  int maxTotal = 50;
  int maxQueue = 100;
  long queueTimeoutMs = 30_000;
  OverflowAction overflow = OverflowAction.RETURN_BUSY_MESSAGE;
  String busy = "busy, try later";
  QueueMode mode = QueueMode.FOLLOWUP;
  long debounceMs = 0;
  long turnTimeoutMs = 120_000;
  long windowMs = 86_400_000L;
  long maxEntries = 1_000_000L;
  long maxEntriesPerSender = 1_000_000L;
  long bucketMs = 60_000;
  long gapMs = 2_000;
  long holdMs = 0;
  OrderingConfig.LatePolicy late = OrderingConfig.LatePolicy.PROCESS;
  IdSource idSource = IdSource.USER_ID;
  int maxQueuedTotal = ConcurrencyConfig.DEFAULT_MAX_QUEUED_TOTAL;
  int maxLivePerUser = SessionsConfig.DEFAULT_MAX_LIVE_PER_USER;
  /** Applied last (keys this builder has no field for: session classes, loop limits). */
  java.util.function.UnaryOperator<BatonConfig> then = c -> c;

  BatonConfig build() {
    BatonConfig d = BatonConfig.defaults();
    AgentConfig a = d.agent()
        .withConcurrency(new ConcurrencyConfig(maxPerSession, maxTotal, maxQueue, queueTimeoutMs, overflow, busy,
            mode, debounceMs, maxQueuedTotal))
        .withTurnTimeoutMs(turnTimeoutMs);
    return then.apply(d.withAgent(a)
        .withDedup(new DedupConfig(windowMs, maxEntries, bucketMs, maxEntriesPerSender))
        .withOrdering(new OrderingConfig(gapMs, holdMs, late))
        .withSessions(new SessionsConfig(SessionsConfig.Isolation.STRICT, SessionsConfig.Storage.PER_SESSION,
            idSource, maxLivePerUser)));
  }
}
