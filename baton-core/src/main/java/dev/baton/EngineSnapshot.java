package dev.baton;

import java.util.List;

/**
 * A point-in-time view of the engine for operators.
 *
 * @param runningTurns turns running now
 * @param queuedMessages messages waiting in all mailboxes
 * @param sessions the sessions with something queued or running (at most the 1,000 busiest)
 */
public record EngineSnapshot(int runningTurns, long queuedMessages, List<SessionView> sessions) {

  public EngineSnapshot {
    sessions = List.copyOf(sessions);
  }

  /**
   * One session: how many of its messages wait, how many of its turns run, and its class
   * ({@code sessions.classes}).
   */
  public record SessionView(SessionKey session, int queued, int running, String sessionClass) {
    /** A session of the default class. */
    public SessionView(SessionKey session, int queued, int running) {
      this(session, queued, running, dev.baton.config.SessionsConfig.DEFAULT_CLASS);
    }
  }
}
