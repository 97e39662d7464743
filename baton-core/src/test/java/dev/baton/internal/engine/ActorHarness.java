package dev.baton.internal.engine;

import dev.baton.Baton;
import dev.baton.InboundMessage;
import dev.baton.OrderKey;
import dev.baton.SessionKey;
import dev.baton.config.BatonConfig;
import dev.baton.internal.store.MemoryStore;
import dev.baton.spi.JournalEntry;
import dev.baton.testing.ManualScheduler;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Drives one session's actor by hand for Lincheck: the dispatcher is stopped, so a "claim" takes a ticket
 * itself, and "finish" ends the oldest claimed turn. No threads, no timers fire (manual clock), no lane work
 * (overflow {@code reject}).
 *
 * <p>Atomicity: {@link #claim}, {@link #finish} and {@link #view} each do several steps the model sees as one
 * (poll a ticket then claim, then record the run; take the oldest run then end it; find the actor then read
 * it). Their intermediate states are legitimate in the engine (a dispatcher that polled a ticket has not yet
 * claimed) but no sequential model can explain them, so these three run under the harness's own lock
 * {@code ops} — never the actor's monitor. {@link #offer} takes no harness lock: every offer races every
 * claim, finish and view, and the actor's own synchronization (and its retire/re-create protocol with the
 * engine's map) is what the test checks.
 */
final class ActorHarness {

  private final SessionKey session = new SessionKey("api:u:ann");
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  final Engine engine;
  private final ConcurrentLinkedQueue<TurnRun> claimed = new ConcurrentLinkedQueue<>();
  private final Object ops = new Object();

  ActorHarness(BatonConfig config) {
    engine = (Engine) Baton.builder().config(config).scheduler(new ManualScheduler()).store(new MemoryStore())
        .agent(t -> {}).meterRegistry(new SimpleMeterRegistry()).build();
    engine.dispatcher.stop();
  }

  String offer(String id, OrderKey order) {
    InboundMessage m = InboundMessage.of("api", id, "ann", id, T0).withOrder(order);
    QueuedMessage p = new QueuedMessage(new JournalEntry(new dev.baton.DedupKey("api:" + id), session, m, T0), 0);
    while (true) {
      SessionActor a = engine.actors.computeIfAbsent(session, k -> new SessionActor(k, engine));
      if (!(order instanceof OrderKey.None) && a.needsReorder()) a.initReorder(engine.store.loadSession(session));
      SessionActor.Offer o = a.offer(p, SessionActor.Source.FRESH);
      if (o != SessionActor.Offer.RETIRED) return o.name();
    }
  }

  String claim() {
    synchronized (ops) {
      return claimLocked();
    }
  }

  private String claimLocked() {
    SessionActor a = engine.dispatcher.pollTicket();
    if (a == null) return "none";
    TurnRun r = a.claim();
    if (r == null) return "nothing";
    claimed.add(r);
    return ids(r);
  }

  String finish() {
    synchronized (ops) {
      return finishLocked();
    }
  }

  private String finishLocked() {
    TurnRun r = claimed.poll();
    if (r == null) return "none";
    // The actor the run belongs to is the one in the map (it cannot retire while the run is in it). Commit
    // the watermarks as a real turn would, so an actor that retires and comes back keeps the order.
    SessionActor a = engine.actors.get(session);
    engine.store.commitTurn(Engine.finish(a, List.of(), dev.baton.spi.MessageStatus.DONE, List.of()));
    a.finished(r, false);
    return ids(r);
  }

  /** Queue mode steer: the oldest claimed run takes what is queued now (its ids, "" for none). */
  String steer() {
    synchronized (ops) {
      TurnRun r = claimed.peek();
      if (r == null) return "none";
      List<String> out = new ArrayList<>();
      for (QueuedMessage p : engine.actors.get(session).takeSteered(r)) out.add(p.messageId());
      return String.join(",", out);
    }
  }

  /**
   * "idle", or queued(+held)/running. An actor with nothing queued, held or running is idle to the model:
   * it may be one that retired between the map lookup and its monitor (an offer can race it), and a live
   * empty actor has no ticket either (tickets never exceed the queue).
   */
  String view() {
    synchronized (ops) {
      SessionActor a = engine.actors.get(session);
      if (a == null) return "idle";
      SessionActor.Load v = a.load();
      return v.idle() ? "idle" : v.queued() + "/" + v.running();
    }
  }

  private static String ids(TurnRun r) {
    List<String> out = new ArrayList<>();
    for (QueuedMessage p : r.batch()) out.add(p.messageId());
    return String.join(",", out);
  }
}
