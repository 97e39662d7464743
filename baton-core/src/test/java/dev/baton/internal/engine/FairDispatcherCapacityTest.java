package dev.baton.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.testing.ManualScheduler;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The dispatcher's capacity as cluster mode moves it: raised and lowered by permit heartbeats, and frozen at
 * the permits in use while a heartbeat may give unused ones back.
 */
class FairDispatcherCapacityTest {

  private final AtomicInteger started = new AtomicInteger();
  private final FairDispatcher d = new FairDispatcher(0, (s, cls) -> {
    started.incrementAndGet();
    return true;
  }, new ManualScheduler());

  private void ticket() {
    d.offer(null, Long.MAX_VALUE); // the starter ignores which session
    d.pump();
  }

  @Test
  void noPermitsNoTurnsThenTheHeartbeatsCapacityStartsThem() {
    ticket();
    ticket();
    ticket();
    assertThat(started).hasValue(0);
    d.setCapacity(2);
    assertThat(started).hasValue(2);
    assertThat(d.inUse()).isEqualTo(2);
    d.release(); // a turn ends: its permit goes to the third ticket
    assertThat(started).hasValue(3);
  }

  @Test
  void freezeLetsNoTurnStartBeyondThoseRunningUntilTheCapacityIsSetAgain() {
    d.setCapacity(3);
    ticket(); // one turn runs, two permits free
    assertThat(d.freeze()).as("permits in use").isEqualTo(1);
    ticket();
    ticket();
    assertThat(started).as("the free permits were taken back").hasValue(1);
    d.release(); // the running turn ends: its permit is handed on, the count in use stays 1
    assertThat(started).hasValue(2);
    assertThat(d.inUse()).isEqualTo(1);
    d.setCapacity(2); // the heartbeat answered: 2 permits are this node's
    assertThat(started).hasValue(3);
    assertThat(d.inUse()).isEqualTo(2);
  }

  @Test
  void aCapacityBelowWhatRunsStartsNothingUntilEnoughTurnsEnd() {
    d.setCapacity(2);
    ticket();
    ticket();
    d.setCapacity(1); // permits lost (a heartbeat gave less, or the watchdog fired)
    ticket();
    d.release();
    assertThat(started).as("still one over the new capacity").hasValue(2);
    d.release();
    assertThat(started).hasValue(3);
    assertThat(d.freeze()).isEqualTo(1);
  }
}
