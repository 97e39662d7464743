package dev.baton.jdbc;

import dev.baton.Reply;
import dev.baton.SessionKey;
import dev.baton.Transcript;
import dev.baton.spi.ConflictException;
import dev.baton.spi.FencedException;
import dev.baton.spi.SessionData;
import dev.baton.spi.TurnCommit;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;

/**
 * SQL of a turn: session state, transcript and outbox. A commit locks the session's row in {@code sessions}
 * first (an upsert, which takes the row lock on PostgreSQL; SQLite has one writer), so fencing, compare and
 * append all see one consistent session and commits of one session serialize across nodes.
 */
final class TurnSql {
  private TurnSql() {}

  static void ensureSession(Connection c, SessionKey s) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "INSERT INTO sessions (session) VALUES (?) ON CONFLICT (session) DO NOTHING")) {
      ps.setString(1, s.value());
      ps.executeUpdate();
    }
  }

  /**
   * Runs inside the writer's transaction. Refuses ({@link FencedException}, {@link ConflictException}) before
   * it writes anything but the session's counters row, which an upsert creates empty if missing (an empty row
   * reads as a new session), so a refused commit needs no savepoint to leave nothing behind.
   */
  static List<Reply> commit(Connection c, TurnCommit t, int maxTranscriptEntries, int maxOutbox)
      throws SQLException {
    String s = t.session().value();
    long lastOutbox;
    long transcriptLen;
    // One round trip: create the row if missing, lock it (an upsert locks like FOR UPDATE on PostgreSQL;
    // SQLite has one writer), and read the counters and the fencing token.
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO sessions (session) VALUES (?) ON CONFLICT (session)"
        + " DO UPDATE SET session = excluded.session RETURNING last_outbox_seq, transcript_len, lease_token")) {
      ps.setString(1, s);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        lastOutbox = rs.getLong(1);
        transcriptLen = rs.getLong(2);
        long token = rs.getLong(3);
        if (t.fencingToken() != 0 && t.fencingToken() != token) {
          throw new FencedException("session " + s + " is now held under fencing token " + token
              + "; this commit carried " + t.fencingToken());
        }
      }
    }
    if (!t.expected().isEmpty()) checkExpected(c, s, t.expected());
    applyWrites(c, s, t.writes());
    if (!t.transcript().isEmpty()) {
      try (PreparedStatement ps = c.prepareStatement(
          "INSERT INTO transcript (session, seq, role, text, at) VALUES (?,?,?,?,?)")) {
        for (Transcript.Entry e : t.transcript()) {
          ps.setString(1, s);
          ps.setLong(2, ++transcriptLen);
          ps.setString(3, e.role().name());
          ps.setString(4, e.text());
          ps.setLong(5, Codec.nanos(e.at()));
          ps.addBatch();
        }
        ps.executeBatch();
      }
      if (transcriptLen > maxTranscriptEntries) { // P11: keep the newest entries; seq keeps counting
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM transcript WHERE session = ? AND seq <= ?")) {
          ps.setString(1, s);
          ps.setLong(2, transcriptLen - maxTranscriptEntries);
          ps.executeUpdate();
        }
      }
    }
    List<Reply> stored = new ArrayList<>();
    if (!t.replies().isEmpty()) {
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO outbox (session, outbox_seq, channel, chat,"
          + " in_reply_to, kind, text, turn, routing, stream_id, covers) VALUES (?,?,?,?,?,?,?,?,?,?,?)")) {
        for (Reply r : t.replies()) {
          Reply out = r.withOutboxSeq(++lastOutbox); // keeps streamId and covers
          stored.add(out);
          ps.setString(1, s);
          ps.setLong(2, out.outboxSeq());
          ps.setString(3, out.channel());
          ps.setString(4, out.chat());
          ps.setString(5, out.inReplyTo());
          ps.setString(6, out.kind().name());
          ps.setString(7, out.text());
          if (out.turn().isPresent()) ps.setLong(8, out.turn().getAsLong());
          else ps.setNull(8, java.sql.Types.BIGINT);
          ps.setString(9, Codec.encodeMap(out.routing()));
          ps.setString(10, out.streamId());
          ps.setString(11, encodeCovers(out));
          ps.addBatch();
        }
        ps.executeBatch();
      }
      if (lastOutbox > maxOutbox) { // P11: the oldest undelivered replies of the session go (a PK range)
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM outbox WHERE session = ? AND outbox_seq <= ?")) {
          ps.setString(1, s);
          ps.setLong(2, lastOutbox - maxOutbox);
          ps.executeUpdate();
        }
      }
    }
    if (!t.transcript().isEmpty() || !t.replies().isEmpty()) {
      try (PreparedStatement ps = c.prepareStatement(
          "UPDATE sessions SET last_outbox_seq = ?, transcript_len = ? WHERE session = ?")) {
        ps.setLong(1, lastOutbox);
        ps.setLong(2, transcriptLen);
        ps.setString(3, s);
        ps.executeUpdate();
      }
    }
    if (!t.messages().isEmpty()) JournalSql.updateStatus(c, t.messages(), t.status());
    return List.copyOf(stored);
  }

  private static void checkExpected(Connection c, String s, Map<String, Optional<String>> expected)
      throws SQLException {
    Map<String, String> current = new HashMap<>();
    try (PreparedStatement ps = c.prepareStatement("SELECT key, value FROM session_state WHERE session = ? AND key IN ("
        + JournalSql.marks(expected.size()) + ")")) {
      ps.setString(1, s);
      int p = 2;
      for (String k : expected.keySet()) ps.setString(p++, k);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) current.put(rs.getString(1), rs.getString(2));
      }
    }
    for (var e : new TreeMap<>(expected).entrySet()) {
      Optional<String> now = Optional.ofNullable(current.get(e.getKey()));
      if (!now.equals(e.getValue())) {
        throw new ConflictException("session state key '" + e.getKey() + "' changed before the turn committed");
      }
    }
  }

  private static void applyWrites(Connection c, String s, Map<String, Optional<String>> writes) throws SQLException {
    if (writes.isEmpty()) return;
    try (PreparedStatement put = c.prepareStatement("INSERT INTO session_state (session, key, value) VALUES (?,?,?)"
            + " ON CONFLICT (session, key) DO UPDATE SET value = excluded.value");
        PreparedStatement del = c.prepareStatement("DELETE FROM session_state WHERE session = ? AND key = ?")) {
      boolean puts = false;
      boolean dels = false;
      for (var e : new TreeMap<>(writes).entrySet()) {
        if (e.getValue().isPresent()) {
          put.setString(1, s);
          put.setString(2, e.getKey());
          put.setString(3, e.getValue().get());
          put.addBatch();
          puts = true;
        } else {
          del.setString(1, s);
          del.setString(2, e.getKey());
          del.addBatch();
          dels = true;
        }
      }
      if (puts) put.executeBatch();
      if (dels) del.executeBatch();
    }
  }

  /** Reads a session; the caller runs it in one read transaction so the three reads agree. */
  static SessionData load(Connection c, SessionKey session) throws SQLException {
    String s = session.value();
    Map<String, String> state = new HashMap<>();
    try (PreparedStatement ps = c.prepareStatement("SELECT key, value FROM session_state WHERE session = ?")) {
      ps.setString(1, s);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) state.put(rs.getString(1), rs.getString(2));
      }
    }
    List<Transcript.Entry> transcript = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT role, text, at FROM transcript WHERE session = ? ORDER BY seq")) {
      ps.setString(1, s);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          transcript.add(new Transcript.Entry(Transcript.Role.valueOf(rs.getString(1)), rs.getString(2),
              Codec.instant(rs.getLong(3))));
        }
      }
    }
    long last = 0;
    try (PreparedStatement ps = c.prepareStatement("SELECT last_outbox_seq FROM sessions WHERE session = ?")) {
      ps.setString(1, s);
      try (ResultSet rs = ps.executeQuery()) {
        if (rs.next()) last = rs.getLong(1);
      }
    }
    return new SessionData(state, transcript, last);
  }

  /**
   * {@code ""} when the reply answers only {@code inReplyTo} (the common case, and what rows written before
   * migration V3/V4 hold), else every id of {@code covers}.
   */
  static String encodeCovers(Reply r) {
    return r.covers().equals(List.of(r.inReplyTo())) ? "" : Codec.encodeList(r.covers());
  }

  static Reply readReply(ResultSet rs) throws SQLException {
    long turn = rs.getLong("turn");
    OptionalLong t = rs.wasNull() ? OptionalLong.empty() : OptionalLong.of(turn);
    // An empty covers column reads as List.of(inReplyTo) (the Reply constructor's rule for an empty list).
    return new Reply(SessionKey.fromStored(rs.getString("session")), rs.getLong("outbox_seq"), rs.getString("channel"),
        rs.getString("chat"), rs.getString("in_reply_to"), Reply.Kind.valueOf(rs.getString("kind")),
        rs.getString("text"), t, Codec.decodeMap(rs.getString("routing")), rs.getString("stream_id"),
        Codec.decodeList(rs.getString("covers")));
  }
}
