package dev.baton.deadlock;

import java.util.Objects;

/**
 * A node of the wait-for graph: something that can wait and can hold. Identity is {@code kind + id};
 * {@code label} only describes it in logs and snapshots (session, tool, ...).
 *
 * @param kind what the party is
 * @param id unique among parties of its kind within the process (a call number, a turn's {@code turnSeq}, an
 *     ask id)
 * @param label a human description, e.g. {@code "session api:u:alice, tool shared.write"}
 */
public record Party(Kind kind, String id, String label) {

  /** What kind of party a node is. */
  public enum Kind {
    /** One tool call. */
    CALL,
    /** One turn of a session. */
    TURN,
    /** A question sent by {@code ask}, from delivery until its answer (the engine runs it as a turn). */
    ASK
  }

  public Party {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(label, "label");
  }

  public static Party call(long seq, String label) {
    return new Party(Kind.CALL, Long.toString(seq), label);
  }

  public static Party turn(long turnSeq, String label) {
    return new Party(Kind.TURN, Long.toString(turnSeq), label);
  }

  public static Party ask(String askId, String label) {
    return new Party(Kind.ASK, askId, label);
  }

  /** {@code call#12}, {@code turn#7}, {@code ask#a-3}. */
  public String name() {
    return kind.name().toLowerCase(java.util.Locale.ROOT) + "#" + id;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Party p && p.kind == kind && p.id.equals(id);
  }

  @Override
  public int hashCode() {
    return kind.hashCode() * 31 + id.hashCode();
  }

  @Override
  public String toString() {
    return label.isEmpty() ? name() : name() + " (" + label + ")";
  }
}
