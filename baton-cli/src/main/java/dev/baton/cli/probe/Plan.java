package dev.baton.cli.probe;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/*
 * Overview: the probe's workload, decided before the first send from the seed alone, so a run can be repeated.
 * Honest users send their messages at open-loop intended times (message i of the whole run at i / rate); a few
 * are delivered twice (at the same instant from a second connection, or again later), a few neighbours are sent
 * in swapped order, some users burst past the target's queue, and hostile users try to reach the honest users'
 * conversations and message ids. Every message carries a nonce that belongs to its sender alone.
 *
 * Immutable after build(); read by every sender thread.
 */
final class Plan {

  /** How a delivery of a message is made. */
  enum Kind { NORMAL, CHAT_INTRUSION, ID_SQUAT, FLOOD }

  /** One message: who sends it, when (nanos after the start), its id, nonce and how it is sent. */
  record Msg(int index, String user, int seq, String id, String nonce, long intendedNanos, Kind kind,
      String chat, int ledgerAdd, boolean twinNow, boolean twinLater, boolean swappedWithPrevious,
      boolean hostile) {}

  final List<Msg> messages;
  final List<String> users;
  final List<String> attackers;
  final Map<String, Msg> byNonce;
  final long lastIntendedNanos;

  private Plan(List<Msg> messages, List<String> users, List<String> attackers) {
    this.messages = List.copyOf(messages);
    this.users = List.copyOf(users);
    this.attackers = List.copyOf(attackers);
    Map<String, Msg> m = new HashMap<>();
    long last = 0;
    for (Msg msg : messages) {
      m.put(msg.nonce(), msg);
      last = Math.max(last, msg.intendedNanos());
    }
    this.byNonce = Map.copyOf(m);
    this.lastIntendedNanos = last;
  }

  static final String ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz";

  static String nonce(SplittableRandom random) {
    StringBuilder b = new StringBuilder("pn");
    for (int i = 0; i < 10; i++) b.append(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
    return b.toString();
  }

  /** The text of a message: asks for the codes, carries the nonce (and the ledger amount at level ledger). */
  static String text(Msg m) {
    String t = "probe " + m.nonce() + ": remember this code and reply with every code I gave you, in order";
    return m.ledgerAdd() > 0 ? t + "; ledger add " + m.ledgerAdd() : t;
  }

  static Plan build(ProbeOptions o) {
    SplittableRandom random = new SplittableRandom(o.seed);
    List<String> users = new ArrayList<>();
    for (int i = 1; i <= o.users; i++) users.add("u" + i);
    List<String> attackers = new ArrayList<>();
    for (int i = 1; i <= o.hostile; i++) attackers.add("evil" + i);
    int[] seqs = new int[o.users];
    int[] lastOf = new int[o.users];
    java.util.Arrays.fill(lastOf, -1);
    List<Msg> out = new ArrayList<>();
    java.util.Set<String> nonces = new java.util.HashSet<>();
    double gapNanos = 1e9 / o.rate;
    int i = 0;
    while (out.size() < o.messages) {
      long at = Math.round(i * gapNanos);
      int u = random.nextInt(o.users);
      boolean burst = o.burst > 1 && random.nextDouble() < o.burstChance;
      int count = burst ? Math.min(o.burst, o.messages - out.size()) : 1;
      for (int b = 0; b < count; b++) {
        int seq = ++seqs[u];
        String nonce;
        do nonce = nonce(random); while (!nonces.add(nonce));
        double r = random.nextDouble();
        boolean twinNow = r < o.redeliver / 2;
        boolean twinLater = !twinNow && r < o.redeliver;
        boolean swap = !burst && lastOf[u] >= 0 && random.nextDouble() < o.swap
            && !out.get(lastOf[u]).swappedWithPrevious();
        lastOf[u] = out.size();
        int add = o.level == ProbeOptions.Level.LEDGER ? 1 + random.nextInt(9) : 0;
        out.add(new Msg(out.size(), users.get(u), seq, users.get(u) + "-" + seq, nonce, at, Kind.NORMAL, "", add,
            twinNow, twinLater, swap, false));
        i++;
      }
      if (burst) i++;
    }
    // Hostile users: each sends into a victim's conversation, squats a victim's next message id, and floods.
    int n = out.size();
    for (int a = 0; a < attackers.size(); a++) {
      String evil = attackers.get(a);
      int seq = 0;
      for (int k = 0; k < 3; k++) {
        Msg victim = out.get(random.nextInt(n));
        long at = Math.max(0, victim.intendedNanos() - (long) gapNanos);
        String nonce;
        do nonce = nonce(random); while (!nonces.add(nonce));
        out.add(new Msg(out.size(), evil, ++seq, evil + "-" + seq, nonce, at, Kind.CHAT_INTRUSION, victim.user(),
            0, false, false, false, true));
        do nonce = nonce(random); while (!nonces.add(nonce));
        // The squat: the victim's own id, sent just before the victim sends it.
        out.add(new Msg(out.size(), evil, ++seq, victim.id(), nonce, at, Kind.ID_SQUAT, "", 0, false, false,
            false, true));
      }
      for (int f = 0; f < o.hostileFlood; f++) {
        String nonce;
        do nonce = nonce(random); while (!nonces.add(nonce));
        long at = Math.round(random.nextDouble() * n * gapNanos / 2);
        out.add(new Msg(out.size(), evil, ++seq, evil + "-" + seq, nonce, at, Kind.FLOOD, "", 0, false, false,
            false, true));
      }
    }
    return new Plan(out, users, attackers);
  }

  /**
   * The order key each honest message is sent with under {@code --seq}, by {@code "user\nid"}: its per-user
   * position from 0 (a Baton session's sequence starts at 0). Keyed by sender too, so an attacker squatting a
   * victim's id sends no seq of the victim's.
   */
  Map<String, Integer> seqById() {
    Map<String, Integer> m = new HashMap<>();
    for (Msg msg : messages) if (!msg.hostile()) m.put(msg.user() + "\n" + msg.id(), msg.seq() - 1);
    return Map.copyOf(m);
  }

  /** The honest messages and the hostile ones, per sender, in intended-time order (stable). */
  Map<String, List<Msg>> bySender() {
    Map<String, List<Msg>> m = new java.util.LinkedHashMap<>();
    for (String u : users) m.put(u, new ArrayList<>());
    for (String a : attackers) m.put(a, new ArrayList<>());
    messages.stream().sorted(java.util.Comparator.comparingLong(Msg::intendedNanos).thenComparingInt(Msg::index))
        .forEach(msg -> m.computeIfAbsent(msg.user(), k -> new ArrayList<>()).add(msg));
    return m;
  }
}
