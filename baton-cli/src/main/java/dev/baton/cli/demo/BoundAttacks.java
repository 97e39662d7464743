package dev.baton.cli.demo;

import static dev.baton.cli.demo.HostileScenario.LONG_POLLS;
import static dev.baton.cli.demo.HostileScenario.NEVER_POLLED;
import static dev.baton.cli.demo.HostileScenario.REPLY_WAIT;
import static dev.baton.cli.demo.HostileScenario.SPRAY;
import static dev.baton.cli.demo.HostileScenario.served;

import dev.baton.cli.demo.HostileScenario.Attack;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The hostile scenario's P11 attacks: one user sprays chats, never polls, or floods long polls; each is judged on
 * whether the attacker is refused (429) at the documented bound while honest users beside him are served.
 */
final class BoundAttacks {

  private BoundAttacks() {}

  /**
   * Mallory posts to SPRAY chats at once. Her turns are held until every post is answered, so none of her
   * sessions ends (and gives its place back) during the spray: at most {@code sessionsBound} can be accepted.
   */
  static void sprayChats(HostileGateway gw, Attack a, long sessionsBound, HostileScenario.TurnGate held)
      throws Exception {
    List<String> chats = new ArrayList<>();
    for (int i = 0; i < SPRAY; i++) chats.add("spray-" + i);
    var mallory = gw.user("mallory-spray", chats);
    var dave = gw.user("dave", List.of("team"));
    List<Future<Integer>> posts = new ArrayList<>();
    AtomicLong accepted = new AtomicLong();
    held.close();
    try (ExecutorService t = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int i = 0; i < SPRAY; i++) {
        String chat = chats.get(i);
        posts.add(t.submit(() -> {
          int s = gw.post(mallory, HostileGateway.message("s-" + chat, "[held] " + chat, chat)).status();
          if (s == 202) accepted.incrementAndGet();
          return s;
        }));
      }
      served(gw, a, dave, "d1", "dave in team during the spray", "team");
      served(gw, a, dave, "d2", "dave alone during the spray", null);
      long refused = 0;
      long odd = 0;
      try {
        for (Future<Integer> f : posts) {
          int s = f.get(30, TimeUnit.SECONDS);
          if (s == 429) refused++;
          else if (s != 202) odd++;
        }
      } finally {
        held.open();
      }
      a.check(refused > 0, "Mallory opened " + SPRAY + " sessions at once and none was refused with 429"
          + " (sessions per user and queued messages in total are unbounded)");
      a.check(odd == 0, odd + " of the spray got a status other than 202/429");
      a.check(accepted.get() <= sessionsBound, accepted.get() + " of Mallory's sprayed chats were accepted, above"
          + " the sessions-per-user bound " + sessionsBound);
    }
    drainTurns(gw); // the accepted slow turns end; then their replies are acknowledged, so only the mute user's stay
    for (int i = 0; i < 3; i++) mallory.mailbox().sweep(); // a poll returns at most 100 replies
    dave.mailbox().sweep();
  }

  /** Waits (bounded) until the engine has nothing queued or running, as the admin API shows it. */
  static void drainTurns(HostileGateway gw) throws InterruptedException {
    long deadline = System.nanoTime() + REPLY_WAIT.toNanos();
    while (System.nanoTime() < deadline) {
      HostileGateway.Response s = gw.admin("sessions");
      if (s.status() == 200 && s.body().path("running_turns").asLong(1) == 0
          && s.body().path("queued_messages").asLong(1) == 0) return;
      Thread.sleep(50); // polling the admin view; bounded by the deadline
    }
  }

  static void neverPolled(HostileGateway gw, Attack a, long bound) throws InterruptedException {
    var mute = gw.user("mallory-mute");
    long before = gw.admin("dedup").body().path("undelivered_replies").asLong(0);
    long odd = 0;
    for (int i = 0; i < NEVER_POLLED; i++) {
      int s = gw.post(mute, HostileGateway.message("mute-" + i, "never read " + i, null)).status();
      if (s != 202 && s != 429) odd++;
    }
    a.check(odd == 0, odd + " of the never-polled user's posts got a status other than 202/429");
    drainTurns(gw);
    HostileGateway.Response stats = gw.admin("dedup");
    long undelivered = stats.body().path("undelivered_replies").asLong(-1) - before;
    a.check(stats.status() == 200 && undelivered <= bound, "one user who never polls holds " + undelivered
        + " undelivered replies in the store (bound " + bound + "; admin /v1/admin/dedup answered " + stats.status() + ")");
  }

  static void longPollFlood(HostileGateway gw, Attack a, long bound) throws Exception {
    var mallory = gw.user("mallory-polls");
    var dave = gw.user("dave");
    List<CompletableFuture<HttpResponse<String>>> flood = new ArrayList<>();
    for (int i = 0; i < LONG_POLLS; i++) flood.add(gw.pollAsync(mallory, 30_000));
    served(gw, a, dave, "d3", "dave during the long-poll flood", null);
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1_500);
    long refused = 0;
    long held = 0;
    long odd = 0;
    for (CompletableFuture<HttpResponse<String>> f : flood) {
      try {
        int s = f.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS).statusCode();
        if (s == 429) refused++;
        else if (s != 200) odd++;
      } catch (java.util.concurrent.TimeoutException e) {
        held++;
      } catch (java.util.concurrent.ExecutionException e) {
        odd++;
      }
    }
    a.check(refused > 0, "all " + LONG_POLLS + " concurrent long polls of one user were taken (" + held
        + " held open, none refused with 429)");
    a.check(odd == 0, odd + " of the long polls failed or got a status other than 200/429");
    a.check(held <= bound, held + " long polls of one user held open, above the bound " + bound);
  }

  // ---- platform identities ------------------------------------------------------------------------------------
}
