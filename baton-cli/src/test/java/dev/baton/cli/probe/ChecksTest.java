package dev.baton.cli.probe;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.cli.probe.Recorder.Answer;
import dev.baton.cli.probe.Recorder.Delivery;
import dev.baton.cli.probe.Recorder.Seen;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The judge on hand-made records, for the cases a live run reaches only by chance: a busy notice must not stand
 * for the answer to a later accepted delivery, and under --seq a swapped pair must be put back in order.
 */
class ChecksTest {

  private static final long MS = 1_000_000L;

  /** One user, two messages, nothing random but the nonces; {@code swap}: the second is sent before the first. */
  private static ProbeOptions options(boolean swap, boolean seq) {
    ProbeOptions o = new ProbeOptions();
    o.users = 1;
    o.messages = 2;
    o.rate = 10;
    o.redeliver = 0;
    o.burstChance = 0;
    o.swap = swap ? 1.0 : 0;
    o.level = ProbeOptions.Level.ECHO;
    o.replyTimeout = Duration.ofSeconds(1);
    o.sendSeq = seq;
    return o;
  }

  private static Seen reply(Plan.Msg m, long at) {
    return new Seen(m.user(), "echo " + Plan.text(m), "reply", m.id(), at);
  }

  @Test
  void aBusyNoticeAnswersItsRefusedDeliveryNotTheAcceptedRedelivery() {
    ProbeOptions o = options(false, false);
    Plan plan = Plan.build(o);
    Plan.Msg first = plan.messages.get(0);
    Plan.Msg second = plan.messages.get(1);
    Recorder record = new Recorder(0);
    record.delivered(new Delivery(first, 0, 1 * MS, 2 * MS, Answer.BUSY, 429));
    record.replied(new Seen(first.user(), "I'm still working on your previous messages.", "busy", first.id(), 3 * MS));
    record.delivered(new Delivery(first, 1, 10 * MS, 11 * MS, Answer.ACCEPTED, 202)); // the redelivery is taken
    record.delivered(new Delivery(second, 2, 20 * MS, 21 * MS, Answer.ACCEPTED, 202));
    record.replied(reply(second, 30 * MS)); // ... and only the second message is answered
    ProbeReport lost = new Checks(plan, o, record).judge("", null, 5_000 * MS);
    assertThat(lost.patterns().get("deadlock").violations()).isEqualTo(1);
    assertThat(lost.patterns().get("deadlock").examples()).singleElement()
        .satisfies(e -> assertThat(e.message()).isEqualTo(first.id()));

    record.replied(reply(first, 40 * MS)); // now the taken redelivery is answered too
    ProbeReport answered = new Checks(plan, o, record).judge("", null, 5_000 * MS);
    assertThat(answered.patterns().get("deadlock").violations()).isZero();
    assertThat(answered.patterns().get("deadlock").checked()).isEqualTo(2);
  }

  @Test
  void aBusyNoticeForAnAcceptedDeliveryIsItsAnswer() {
    // Telegram: the webhook answers 200 to a busy message too, and the busy text is all the user gets.
    ProbeOptions o = options(false, false);
    Plan plan = Plan.build(o);
    Recorder record = new Recorder(0);
    for (Plan.Msg m : plan.messages) {
      record.delivered(new Delivery(m, m.seq(), m.seq() * 10 * MS, m.seq() * 10 * MS + MS, Answer.ACCEPTED, 200));
      record.replied(new Seen(m.user(), "busy, try again", "", m.id(), m.seq() * 10 * MS + 5 * MS)); // no kind
    }
    assertThat(new Checks(plan, o, record).judge("", null, 5_000 * MS).patterns().get("deadlock").violations())
        .isZero();
  }

  @Test
  void withSeqASwappedPairTakenAtOnceMustBeAnsweredInSeqOrder() {
    ProbeOptions o = options(true, true);
    Plan plan = Plan.build(o);
    Plan.Msg lo = plan.messages.get(0);
    Plan.Msg hi = plan.messages.get(1);
    assertThat(hi.swappedWithPrevious()).isTrue();
    // hi is sent first, lo 1 ms after its answer, both taken within the 1 s hold: a target that follows seq
    // holds hi until lo came
    Recorder inArrivalOrder = new Recorder(0);
    inArrivalOrder.delivered(new Delivery(hi, 0, 1 * MS, 2 * MS, Answer.ACCEPTED, 202));
    inArrivalOrder.delivered(new Delivery(lo, 1, 3 * MS, 4 * MS, Answer.ACCEPTED, 202));
    inArrivalOrder.replied(reply(hi, 10 * MS));
    inArrivalOrder.replied(reply(lo, 11 * MS));
    ProbeReport wrong = new Checks(plan, o, inArrivalOrder).judge("", null, 5_000 * MS);
    assertThat(wrong.patterns().get("order").violations()).isEqualTo(1);
    assertThat(wrong.patterns().get("order").examples().getFirst().detail()).contains("order key was not followed");

    Recorder inSeqOrder = new Recorder(0);
    inSeqOrder.delivered(new Delivery(hi, 0, 1 * MS, 2 * MS, Answer.ACCEPTED, 202));
    inSeqOrder.delivered(new Delivery(lo, 1, 3 * MS, 4 * MS, Answer.ACCEPTED, 202));
    inSeqOrder.replied(reply(lo, 10 * MS));
    inSeqOrder.replied(reply(hi, 11 * MS));
    assertThat(new Checks(plan, o, inSeqOrder).judge("", null, 5_000 * MS).patterns().get("order").violations())
        .isZero();

    // Without --seq either order is right for a pair the probe swapped.
    ProbeOptions noSeq = options(true, false);
    assertThat(new Checks(Plan.build(noSeq), noSeq, inArrivalOrder).judge("", null, 5_000 * MS).patterns()
        .get("order").violations()).isZero();
  }

  /**
   * With --seq a message refused and taken late may be answered first (its seq is the lowest); the inversion
   * behind it — b answered after c, though b was sent before c with a lower seq — is still seen.
   */
  @Test
  void aMessageAnsweredAfterOneSentLaterIsOutOfOrderEvenPastALateOne() {
    ProbeOptions o = options(false, true);
    o.messages = 3;
    Plan plan = Plan.build(o);
    Plan.Msg a = plan.messages.get(0);
    Plan.Msg b = plan.messages.get(1);
    Plan.Msg c = plan.messages.get(2);
    Recorder record = new Recorder(0);
    record.delivered(new Delivery(a, 0, 1 * MS, 2 * MS, Answer.BUSY, 429));
    record.delivered(new Delivery(b, 1, 3 * MS, 4 * MS, Answer.ACCEPTED, 202));
    record.delivered(new Delivery(c, 2, 5 * MS, 6 * MS, Answer.ACCEPTED, 202));
    record.delivered(new Delivery(a, 3, 7 * MS, 8 * MS, Answer.ACCEPTED, 202)); // a taken late: stands last
    record.replied(reply(a, 10 * MS)); // allowed: a's seq is below b's and c's ... but then
    record.replied(reply(c, 11 * MS));
    record.replied(reply(b, 12 * MS)); // b after c, though sent before it
    ProbeReport r = new Checks(plan, o, record).judge("", null, 5_000 * MS);
    assertThat(r.patterns().get("order").violations()).isEqualTo(1);
    assertThat(r.patterns().get("order").examples().getFirst().message()).isEqualTo(b.id());
  }
}
