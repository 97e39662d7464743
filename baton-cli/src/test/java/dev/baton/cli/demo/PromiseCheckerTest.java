package dev.baton.cli.demo;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.Admission;
import dev.baton.DedupKey;
import dev.baton.Reply;
import dev.baton.SessionKey;
import dev.baton.Turn;
import dev.baton.TurnContext;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CyclicBarrier;
import org.junit.jupiter.api.Test;

/** The demo's checks can fail: each injected violation is counted against the right promise. */
class PromiseCheckerTest {

  private final PromiseChecker checker = new PromiseChecker(1, 2);
  private long turnSeq;

  private TurnObservation turn(String user, long... seqs) {
    SessionKey session = DemoMessages.session(user);
    List<Turn.Message> msgs = new ArrayList<>();
    for (long s : seqs) msgs.add(new Turn.Message(DemoMessages.id(user, s), user, DemoMessages.text(user, s), Instant.EPOCH));
    TurnContext ctx = new TurnContext(session, user, msgs.stream().map(Turn.Message::id).toList(), "t", ++turnSeq,
        Instant.EPOCH);
    return new TurnObservation(ctx, Optional.of(ctx), Optional.of(session.value()), msgs, Optional.of(user), List.of());
  }

  private Reply reply(String user, long outboxSeq, long seq, long turn) {
    return new Reply(DemoMessages.session(user), outboxSeq, DemoMessages.CHANNEL, user, DemoMessages.id(user, seq),
        Reply.Kind.REPLY, "echo " + DemoMessages.text(user, seq), OptionalLong.of(turn), Map.of());
  }

  private long clock;

  private void accept(String user, long seq) {
    checker.planned(user, seq);
    checker.delivered(DemoMessages.id(user, seq),
        new Admission.Accepted(new DedupKey("demo:" + DemoMessages.id(user, seq)), DemoMessages.session(user)),
        ++clock, ++clock);
  }

  private void runTurn(TurnObservation o) {
    checker.turnStarted(o, 1);
    checker.turnEnded(o.context().session());
  }

  @Test
  void aCleanRunHasNoViolations() throws Exception {
    for (long s = 0; s < 3; s++) accept("u1", s);
    for (long s = 0; s < 3; s++) {
      runTurn(turn("u1", s));
      checker.replied(reply("u1", s + 1, s, s + 1));
    }
    assertThat(checker.awaitSettled(0)).isTrue();
    checker.finish();
    assertThat(checker.tallies()).allSatisfy(t -> {
      assertThat(t.violations()).as(t.promise).isZero();
      assertThat(t.checked()).as(t.promise).isPositive();
    });
    assertThat(checker.counts()).containsEntry("processed", 3L).containsEntry("unresolved", 0L);
  }

  @Test
  void aDuplicateAnswerToAFirstDeliveryIsAP2ViolationAndToARedeliveryIsNot() {
    checker.planned("u1", 0);
    checker.delivered("u1-0", new Admission.Duplicate(new DedupKey("demo:u1-0")), 0, 0); // nothing accepted it
    accept("u1", 1);
    checker.delivered("u1-1", new Admission.Duplicate(new DedupKey("demo:u1-1")), 0, 0); // a real redelivery
    long before = checker.p2.checked();
    checker.finish();
    assertThat(checker.p2.violations()).isEqualTo(1);
    assertThat(checker.p2.checked() - before).isEqualTo(2);
  }

  @Test
  void duplicateAdmissionProcessingAndReplyAreP2Violations() {
    accept("u1", 0);
    checker.delivered("u1-0", new Admission.Accepted(new DedupKey("demo:u1-0"), DemoMessages.session("u1")), 0, 0);
    runTurn(turn("u1", 0));
    runTurn(turn("u1", 0));
    checker.replied(reply("u1", 1, 0, 1));
    checker.replied(reply("u1", 2, 0, 2));
    assertThat(checker.p2.violations()).isEqualTo(3);
    assertThat(checker.counts()).containsEntry("duplicates_admitted", 1L).containsEntry("duplicates_processed", 1L);
  }

  @Test
  void outOfOrderProcessingAndDeliveryAreP9Violations() {
    accept("u1", 0);
    accept("u1", 1);
    runTurn(turn("u1", 1));
    runTurn(turn("u1", 0));
    checker.replied(reply("u1", 2, 1, 1));
    checker.replied(reply("u1", 1, 0, 2));
    assertThat(checker.p9.violations()).isEqualTo(2);
  }

  @Test
  void aLateArrivalRunAfterItsSuccessorIsNotAViolationButIsCounted() {
    accept("u1", 1); // #1 arrives first; #0 only after it (its gap was skipped): late_policy process
    accept("u1", 0);
    runTurn(turn("u1", 1));
    runTurn(turn("u1", 0));
    assertThat(checker.p9.violations()).isZero();
    assertThat(checker.p9.checked()).isEqualTo(2);
    assertThat(checker.counts()).containsEntry("processed_late", 1L);
  }

  @Test
  void anotherUsersDataInATurnStateTranscriptOrReplyIsAP1Violation() {
    accept("u1", 0);
    accept("u2", 0);
    TurnObservation clean = turn("u1", 0);
    // u2's message handed to u1's turn
    Turn.Message foreign = new Turn.Message("u2-0", "u2", DemoMessages.text("u2", 0), Instant.EPOCH);
    runTurn(new TurnObservation(clean.context(), clean.bound(), clean.mdcSession(), List.of(foreign),
        clean.stateOwner(), List.of()));
    assertThat(checker.p1.violations()).isEqualTo(1);
    // u1's session state says it belongs to u2, and its transcript holds u2's text
    runTurn(new TurnObservation(clean.context(), clean.bound(), clean.mdcSession(), clean.messages(),
        Optional.of("u2"), List.of(DemoMessages.text("u2", 0))));
    assertThat(checker.p1.violations()).isEqualTo(3);
    // a reply to u1 carrying u2's text, and a turn count that jumps
    checker.replied(reply("u1", 1, 0, 1));
    checker.replied(new Reply(DemoMessages.session("u1"), 2, "demo", "u1", "u1-0", Reply.Kind.REPLY,
        DemoMessages.text("u2", 0), OptionalLong.of(5), Map.of()));
    assertThat(checker.p1.violations()).isEqualTo(5);
  }

  @Test
  void turnsAboveTheLimitsAreP3Violations() throws Exception {
    accept("u1", 0);
    accept("u1", 1);
    accept("u2", 0);
    accept("u3", 0);
    checker.turnStarted(turn("u1", 0), 1);
    checker.turnStarted(turn("u1", 1), 1); // second turn of u1 while the first runs
    assertThat(checker.p3.violations()).isEqualTo(1);
    checker.turnStarted(turn("u2", 0), 1); // third turn overall, cap is 2
    assertThat(checker.p3.violations()).isEqualTo(2);
    assertThat(checker.peakRunning()).isEqualTo(3);
    assertThat(checker.peakSessionRunning()).isEqualTo(2);
  }

  @Test
  void concurrentTurnsOnRealThreadsAreCounted() throws Exception {
    CyclicBarrier inside = new CyclicBarrier(3);
    List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      String user = "u" + i;
      accept(user, 0);
      threads.add(Thread.ofVirtual().start(() -> {
        try {
          TurnObservation o = turn(user, 0);
          checker.turnStarted(o, 1);
          inside.await(); // all three run at once
          checker.turnEnded(o.context().session());
        } catch (Throwable t) {
          failures.add(t);
        }
      }));
    }
    for (Thread t : threads) t.join();
    assertThat(failures).isEmpty();
    assertThat(checker.peakRunning()).isEqualTo(3);
    assertThat(checker.p3.violations()).isEqualTo(1); // the third start saw 3 > 2
  }

  @Test
  void anAcceptedMessageThatNeverEndsIsAP4Violation() throws Exception {
    accept("u1", 0);
    accept("u1", 1);
    runTurn(turn("u1", 0));
    checker.replied(reply("u1", 1, 0, 1));
    assertThat(checker.awaitSettled(1_000_000)).isFalse();
    checker.finish();
    assertThat(checker.p4.checked()).isEqualTo(2);
    assertThat(checker.p4.violations()).isEqualTo(1);
    assertThat(checker.p4.examples()).singleElement().asString().contains("u1-1");
  }

  @Test
  void aWrongContextIsAP7Violation() {
    accept("u1", 0);
    TurnObservation o = turn("u1", 0);
    TurnContext other = new TurnContext(DemoMessages.session("u2"), "u2", List.of("u2-0"), "t", 99, Instant.EPOCH);
    runTurn(new TurnObservation(o.context(), Optional.of(other), Optional.empty(), o.messages(), o.stateOwner(),
        List.of()));
    assertThat(checker.p7.violations()).isEqualTo(2); // bound context and MDC
  }

  @Test
  void withTwoTurnsPerSessionAReRunIsCountedAndADoubleReplyIsStillAViolation() {
    PromiseChecker two = new PromiseChecker(2, 4);
    two.planned("u1", 0);
    two.delivered("u1-0", new Admission.Accepted(new DedupKey("demo:u1-0"), DemoMessages.session("u1")), 1, 2);
    TurnObservation o = turn("u1", 0);
    two.turnStarted(o, 3);
    two.turnEnded(o.context().session());
    two.turnStarted(o, 4); // the engine re-ran the turn after a lost compare-and-set
    two.turnEnded(o.context().session());
    assertThat(two.p2.violations()).isZero();
    assertThat(two.counts()).containsEntry("turn_reruns", 1L);
    two.replied(reply("u1", 1, 0, 1));
    two.replied(reply("u1", 2, 0, 2));
    assertThat(two.p2.violations()).isEqualTo(1);
  }

  @Test
  void aCollectedTurnAnswersItsLastMessageOncePerMessageButNotMore() {
    accept("u1", 0);
    accept("u1", 1);
    runTurn(turn("u1", 0, 1)); // queue mode collect: one turn took both
    checker.replied(reply("u1", 1, 1, 1)); // echo: one reply per message, both to the last, same turn number
    checker.replied(reply("u1", 2, 1, 1));
    assertThat(checker.p2.violations()).isZero();
    assertThat(checker.p1.violations()).isZero();
    assertThat(checker.counts()).containsEntry("processed", 2L);
    checker.replied(reply("u1", 3, 1, 1));
    assertThat(checker.p2.violations()).isEqualTo(1);
  }

  @Test
  void aRepeatedTurnNumberAcrossTurnsIsAP1Violation() {
    accept("u1", 0);
    accept("u1", 1);
    runTurn(turn("u1", 0));
    runTurn(turn("u1", 1));
    checker.replied(reply("u1", 1, 0, 4));
    checker.replied(reply("u1", 2, 1, 4)); // a different turn with the same count: an update was lost
    assertThat(checker.p1.violations()).isEqualTo(1);
  }

  @Test
  void busyThenRetriedMessageIsAdmittedOnce() {
    checker.planned("u1", 0);
    checker.delivered("u1-0", new Admission.Busy(new DedupKey("demo:u1-0"), "busy"), 0, 0);
    assertThat(checker.tracked("u1-0").settled).isDone();
    assertThat(checker.counts()).containsEntry("busy", 1L);
    checker.delivered("u1-0", new Admission.Accepted(new DedupKey("demo:u1-0"), DemoMessages.session("u1")), 0, 0);
    assertThat(checker.p2.violations()).isZero();
    assertThat(checker.counts()).containsEntry("busy", 0L).containsEntry("unresolved", 1L);
  }
}
