package dev.baton.jdbc;

import static dev.baton.jdbc.Codec.nanos;

import dev.baton.DedupKey;
import dev.baton.InboundMessage;
import dev.baton.SessionKey;
import dev.baton.spi.IngestResult;
import dev.baton.spi.JournalEntry;
import dev.baton.spi.MessageStatus;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** SQL of the {@code journal} table: the dedup record and the journal entry are one row (DESIGN §1 step 3). */
final class JournalSql {
  private JournalSql() {}

  /** Rows per multi-row INSERT (13 parameters each: well under both databases' parameter limits). */
  private static final int CHUNK = 128;

  private static final String INSERT_HEAD = "INSERT INTO journal (dedup_key, session, status, received_at, channel,"
      + " message_id, sender, chat, order_kind, order_value, text, sent_at, routing) VALUES ";
  private static final String ROW = "(?,?,?,?,?,?,?,?,?,?,?,?,?)";
  private static final String INSERT_TAIL = " ON CONFLICT (dedup_key) DO NOTHING RETURNING dedup_key, seq";

  static final String COLUMNS = "seq, dedup_key, session, received_at, channel, message_id, sender, chat,"
      + " order_kind, order_value, text, sent_at, routing";

  /**
   * Inserts the entries that are new and finds the status of the others. Keys are distinct; they are inserted
   * in key order so concurrent writers (other nodes) take index locks in one order and cannot deadlock.
   */
  static Map<DedupKey, IngestResult> insertAll(Connection c, List<JournalEntry> entries) throws SQLException {
    List<JournalEntry> sorted = new ArrayList<>(entries);
    sorted.sort(Comparator.comparing(e -> e.key().value()));
    Map<DedupKey, IngestResult> out = new HashMap<>();
    for (int from = 0; from < sorted.size(); from += CHUNK) {
      List<JournalEntry> chunk = sorted.subList(from, Math.min(sorted.size(), from + CHUNK));
      insertChunk(c, chunk, out);
      List<DedupKey> missing = new ArrayList<>();
      for (JournalEntry e : chunk) if (!out.containsKey(e.key())) missing.add(e.key());
      if (!missing.isEmpty()) findStatuses(c, missing, out);
      for (JournalEntry e : chunk) {
        if (!out.containsKey(e.key())) {
          // Released by another node between our conflict and our read: insert it now.
          insertChunk(c, List.of(e), out);
          if (!out.containsKey(e.key())) throw new SQLException("journal entry " + e.key() + " vanished twice");
        }
      }
    }
    return out;
  }

  private static void insertChunk(Connection c, List<JournalEntry> chunk, Map<DedupKey, IngestResult> out)
      throws SQLException {
    StringBuilder sql = new StringBuilder(INSERT_HEAD.length() + chunk.size() * 28 + INSERT_TAIL.length());
    sql.append(INSERT_HEAD);
    for (int i = 0; i < chunk.size(); i++) sql.append(i == 0 ? "" : ",").append(ROW);
    sql.append(INSERT_TAIL);
    try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
      int p = 1;
      for (JournalEntry e : chunk) {
        InboundMessage m = e.message();
        ps.setString(p++, e.key().value());
        ps.setString(p++, e.session().value());
        ps.setString(p++, MessageStatus.RECEIVED.name());
        ps.setLong(p++, nanos(e.receivedAt()));
        ps.setString(p++, m.channel());
        ps.setString(p++, m.messageId());
        ps.setString(p++, m.sender());
        ps.setString(p++, m.chat());
        ps.setString(p++, Codec.orderKind(m.order()));
        ps.setLong(p++, Codec.orderValue(m.order()));
        ps.setString(p++, m.text());
        ps.setLong(p++, nanos(m.sentAt()));
        ps.setString(p++, Codec.encodeMap(m.routing()));
      }
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) out.put(new DedupKey(rs.getString(1)), new IngestResult.Inserted(rs.getLong(2)));
      }
    }
  }

  private static void findStatuses(Connection c, Collection<DedupKey> keys, Map<DedupKey, IngestResult> out)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT dedup_key, status FROM journal WHERE dedup_key IN (" + marks(keys.size()) + ")")) {
      int p = 1;
      for (DedupKey k : keys) ps.setString(p++, k.value());
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.put(new DedupKey(rs.getString(1)), new IngestResult.Existing(MessageStatus.valueOf(rs.getString(2))));
        }
      }
    }
  }

  /** @return how many entries moved */
  static int updateStatus(Connection c, List<DedupKey> keys, MessageStatus status) throws SQLException {
    int moved = 0;
    for (int from = 0; from < keys.size(); from += 500) {
      List<DedupKey> chunk = keys.subList(from, Math.min(keys.size(), from + 500));
      try (PreparedStatement ps = c.prepareStatement(
          "UPDATE journal SET status = ? WHERE dedup_key IN (" + marks(chunk.size()) + ")")) {
        ps.setString(1, status.name());
        int p = 2;
        for (DedupKey k : chunk) ps.setString(p++, k.value());
        moved += ps.executeUpdate();
      }
    }
    return moved;
  }

  static int release(Connection c, DedupKey key) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("DELETE FROM journal WHERE dedup_key = ?")) {
      ps.setString(1, key.value());
      return ps.executeUpdate();
    }
  }

  /** Reads one row selected with {@link #COLUMNS}. */
  static JournalEntry read(ResultSet rs) throws SQLException {
    InboundMessage m = new InboundMessage(rs.getString("channel"), rs.getString("message_id"), rs.getString("sender"),
        rs.getString("chat"), Codec.orderKey(rs.getString("order_kind"), rs.getLong("order_value")),
        rs.getString("text"), Codec.instant(rs.getLong("sent_at")), Codec.decodeMap(rs.getString("routing")));
    return new JournalEntry(new DedupKey(rs.getString("dedup_key")), SessionKey.fromStored(rs.getString("session")), m,
        Codec.instant(rs.getLong("received_at")));
  }

  static String marks(int n) {
    return "?,".repeat(n - 1) + "?";
  }
}
