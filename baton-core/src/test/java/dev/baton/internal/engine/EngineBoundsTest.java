package dev.baton.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.Admission;
import dev.baton.Baton;
import dev.baton.IdSource;
import dev.baton.InboundMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** P11 in the engine: max_queued_total and sessions.max_live_per_user refuse as busy, store nothing, count. */
class EngineBoundsTest extends GatedEngineFixture {

  private static InboundMessage msg(String id, String user, String chat, String text) {
    return InboundMessage.of("api", id, user, text, T0).withChat(chat);
  }

  private double refused(String bound) {
    return meters.counter("baton.bounds.refused", "bound", bound).count();
  }

  /** Spins (bounded by {@link Replies#WAIT}) until a lane has finished retiring its actor. */
  static void awaitTrue(java.util.function.BooleanSupplier condition) {
    long deadline = System.nanoTime() + Replies.WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) throw new AssertionError("condition not reached in " + Replies.WAIT);
      Thread.yield();
    }
  }

  @Test
  void queuedTotalRefusesBusyAcrossSessionsAndFreesPlacesAsTurnsStart() throws Exception {
    Cfg cfg = new Cfg();
    cfg.maxTotal = 1;
    cfg.maxQueuedTotal = 3;
    try (Baton baton = start(cfg)) {
      try {
      baton.submit(msg("w", "runner", "", "wait")); // holds the only permit
      agent.awaitEntered(1);
      for (int i = 0; i < 3; i++) {
        assertThat(baton.submit(msg("q" + i, "user" + i, "", "hi"))).isInstanceOf(Admission.Accepted.class);
      }
      Admission over = baton.submit(msg("q3", "user3", "", "hi"));
      assertThat(over).isInstanceOf(Admission.Busy.class);
      assertThat(((Admission.Busy) over).reply()).isEqualTo(Bounds.QUEUED_TOTAL_TEXT);
      assertThat(refused("queued_total")).isEqualTo(1);
      assertThat(store.status(over.key())).isEmpty(); // nothing stored: a retry is admitted
      assertThat(baton.snapshot().queuedMessages()).isEqualTo(3);
      assertThat(store.stats().undeliveredReplies()).isZero(); // no busy reply committed either

      agent.open();
      replies.await(4);
      assertThat(baton.submit(msg("q3", "user3", "", "again"))).isInstanceOf(Admission.Accepted.class);
      replies.await(5);
      assertThat(baton.snapshot().queuedMessages()).isZero();
      } finally {
        agent.open(); // a failed assertion must not leave turns blocked for close() to wait on
      }
    }
  }

  @Test
  void aSenderSprayingChatsGetsAtMostItsLiveSessionsOthersAreServed() throws Exception {
    Cfg cfg = new Cfg();
    cfg.idSource = IdSource.USER_AND_CHAT;
    cfg.maxLivePerUser = 2;
    try (Baton baton = start(cfg)) {
      try {
      assertThat(baton.submit(msg("m1", "mallory", "c1", "wait"))).isInstanceOf(Admission.Accepted.class);
      assertThat(baton.submit(msg("m2", "mallory", "c2", "wait"))).isInstanceOf(Admission.Accepted.class);
      agent.awaitEntered(2);
      assertThat(baton.submit(msg("m2b", "mallory", "c2", "more"))).isInstanceOf(Admission.Accepted.class);
      Admission third = baton.submit(msg("m3", "mallory", "c3", "hi"));
      assertThat(third).isInstanceOf(Admission.Busy.class);
      assertThat(((Admission.Busy) third).reply()).isEqualTo(Bounds.SESSIONS_TEXT);
      assertThat(store.status(third.key())).isEmpty();
      assertThat(refused("sessions_per_user")).isEqualTo(1);
      // Another sender is charged separately.
      assertThat(baton.submit(msg("a1", "alice", "c3", "hi"))).isInstanceOf(Admission.Accepted.class);
      replies.await(1);

      agent.open();
      replies.await(4);
      // Her sessions retire with their work (just after their last reply is handed over): she may open new ones.
      Bounds bounds = ((Engine) baton).bounds;
      awaitTrue(() -> bounds.liveSessions(new Bounds.Owner("api", "mallory")) == 0);
      assertThat(baton.submit(msg("m3", "mallory", "c3", "hi"))).isInstanceOf(Admission.Accepted.class);
      replies.await(5);
      awaitTrue(() -> bounds.owners() == 0);
      } finally {
        agent.open(); // a failed assertion must not leave turns blocked for close() to wait on
      }
    }
  }

  @Test
  void racingSpraysNeverOpenMoreSessionsThanTheBound() throws Exception {
    Cfg cfg = new Cfg();
    cfg.idSource = IdSource.CHAT_ID;
    cfg.maxLivePerUser = 5;
    int threads = 4;
    int perThread = 50;
    try (Baton baton = start(cfg)) {
      try {
      CyclicBarrier start = new CyclicBarrier(threads);
      AtomicInteger accepted = new AtomicInteger();
      List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
      List<Thread> ts = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int tt = t;
        ts.add(Thread.ofPlatform().start(() -> {
          try {
            start.await(Replies.WAIT.toMillis(), TimeUnit.MILLISECONDS);
            for (int i = 0; i < perThread; i++) {
              String id = tt + "-" + i;
              if (baton.submit(msg(id, "mallory", "chat-" + id, "wait")) instanceof Admission.Accepted) {
                accepted.incrementAndGet();
              }
            }
          } catch (Throwable e) {
            failures.add(e);
          }
        }));
      }
      for (Thread t : ts) t.join(Replies.WAIT.toMillis());
      assertThat(failures).isEmpty();
      assertThat(accepted.get()).isEqualTo(5); // all blocked in the agent: none retired meanwhile
      assertThat(refused("sessions_per_user")).isEqualTo(threads * perThread - 5);
      agent.open();
      replies.await(5);
      } finally {
        agent.open(); // a failed assertion must not leave turns blocked for close() to wait on
      }
    }
  }

  /**
   * Review of issue 10: a store error between charging a fresh session and offering its message left the empty
   * actor installed and charged for good (64 such errors and the sender was refused until a restart), and the
   * journaled key made every retry a "duplicate" of a message nobody ran.
   */
  @Test
  void aStoreErrorBeforeTheOfferGivesTheSessionAndTheKeyBack() throws Exception {
    Cfg cfg = new Cfg();
    cfg.maxLivePerUser = 1;
    java.util.concurrent.atomic.AtomicBoolean fail = new java.util.concurrent.atomic.AtomicBoolean(true);
    dev.baton.spi.Store failing = (dev.baton.spi.Store) java.lang.reflect.Proxy.newProxyInstance(
        getClass().getClassLoader(), new Class<?>[] {dev.baton.spi.Store.class}, (proxy, m, args) -> {
          if (m.getName().equals("loadSession") && fail.getAndSet(false)) {
            throw new dev.baton.spi.StoreException("database is locked", new java.io.IOException("busy"));
          }
          try {
            return m.invoke(store, args);
          } catch (java.lang.reflect.InvocationTargetException e) {
            throw e.getCause();
          }
        });
    try (Baton baton = Baton.builder().config(cfg.build()).scheduler(clock).agent(turn -> turn.reply("ok"))
        .store(failing).replies(replies).meterRegistry(meters).build()) {
      InboundMessage ordered = msg("m1", "ann", "", "hi").withOrder(dev.baton.OrderKey.sequence(0));
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> baton.submit(ordered))
          .isInstanceOf(dev.baton.spi.StoreException.class);
      assertThat(baton.snapshot().sessions()).isEmpty();
      assertThat(baton.submit(ordered)).as("the client's retry").isInstanceOf(Admission.Accepted.class);
      replies.await(1);
    }
  }
}
