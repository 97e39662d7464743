package dev.baton.tools;

import static dev.baton.tools.Fixture.code;
import dev.baton.testing.MapSessionState;
import static dev.baton.tools.Fixture.json;
import static dev.baton.tools.Fixture.keyed;
import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.spi.tool.ToolResult;
import dev.baton.spi.tool.Tools;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** P6: a repeat replays, a concurrent repeat waits for the first, a reused key with other arguments fails. */
class IdempotencyTest {
  @TempDir Path dir;
  Fixture f;
  final TestTools.Effect effect = new TestTools.Effect();

  @BeforeEach
  void setUp() {
    f = new Fixture(dir, BatonTools.builder().tool(effect));
  }

  @AfterEach
  void tearDown() throws InterruptedException {
    f.close();
  }

  @Test
  void repeatWithTheSameKeyReplaysWithoutRunning() throws Exception {
    Tools t = f.bind("api:u:alice");
    ToolResult first = t.call(keyed("effect", "{\"amount\":5}", "order-42"));
    ToolResult again = f.bind("api:u:alice").call(keyed("effect", "{\"amount\":5}", "order-42"));
    assertThat(json(first)).isEqualTo(json(again));
    assertThat(((ToolResult.Ok) first).replayed()).isFalse();
    assertThat(((ToolResult.Ok) again).replayed()).isTrue();
    assertThat(effect.runs).hasValue(1);
    // Key order in the arguments does not matter; another session's same key is another call.
    assertThat(code(t.call(keyed("effect", "{ \"amount\" : 5 }", "order-42")))).isEqualTo("ok");
    assertThat(effect.runs).hasValue(1);
    f.bind("api:u:bob").call(keyed("effect", "{\"amount\":5}", "order-42"));
    assertThat(effect.runs).hasValue(2);
  }

  @Test
  void keyReusedWithOtherArgumentsIsAConflict() throws Exception {
    Tools t = f.bind("api:u:alice");
    t.call(keyed("effect", "{\"amount\":5}", "k"));
    ToolResult r = t.call(keyed("effect", "{\"amount\":6}", "k"));
    assertThat(code(r)).isEqualTo("conflict");
    assertThat(effect.runs).hasValue(1);
  }

  @Test
  void deterministicFailuresAreRecordedAndTransientOnesAreNot() throws Exception {
    Tools t = f.bind("api:u:alice");
    assertThat(code(t.call(keyed("effect", "{\"fail\":\"card_declined\"}", "a")))).isEqualTo("card_declined");
    assertThat(code(t.call(keyed("effect", "{\"fail\":\"card_declined\"}", "a")))).isEqualTo("card_declined");
    assertThat(effect.runs).as("recorded: not run again").hasValue(1);
    assertThat(code(t.call(keyed("effect", "{\"fail\":\"upstream_down\",\"retriable\":true}", "b")))).isEqualTo("upstream_down");
    assertThat(code(t.call(keyed("effect", "{\"fail\":\"upstream_down\",\"retriable\":true}", "b")))).isEqualTo("upstream_down");
    assertThat(effect.runs).as("transient: run again").hasValue(3);
  }

  @Test
  void recordsExpireAfterTheRetention() throws Exception {
    Tools t = f.bind("api:u:alice");
    t.call(keyed("effect", "{}", "k"));
    f.clock.advance(Duration.ofMillis(3_600_000 - 1));
    t = f.bind("api:u:alice");
    t.call(keyed("effect", "{}", "k"));
    assertThat(effect.runs).hasValue(1);
    f.clock.advance(Duration.ofMillis(1));
    f.bind("api:u:alice").call(keyed("effect", "{}", "k"));
    assertThat(effect.runs).hasValue(2);
  }

  @Test
  void concurrentDuplicatesExecuteOnceAndTheRepeatsWaitForTheFirst() throws Exception {
    int n = 16;
    effect.gate = new CountDownLatch(1);
    CyclicBarrier start = new CyclicBarrier(n);
    List<ToolResult> results = new CopyOnWriteArrayList<>();
    for (int i = 0; i < n; i++) {
      Tools t = f.bind("api:u:alice"); // a retried turn, a second delivery, ... all of one session
      f.spawn("dup-" + i, () -> {
        start.await();
        results.add(t.call(keyed("effect", "{\"amount\":7}", "pay-1")));
      });
    }
    effect.started.await();
    f.until("the repeats wait for the first call", () -> f.waits("duplicate_call") == n - 1);
    effect.gate.countDown();
    for (Thread th : f.threads) th.join();
    assertThat(effect.runs).as("one side effect").hasValue(1);
    assertThat(results).hasSize(n).allSatisfy(r -> assertThat(json(r)).contains("\"run\":1"));
    assertThat(results.stream().filter(r -> ((ToolResult.Ok) r).replayed()).count()).isEqualTo(n - 1);
  }

  @Test
  void aRepeatWaitingForTheFirstIsBoundedByItsOwnTimeout() throws Exception {
    effect.gate = new CountDownLatch(1);
    Tools t1 = f.bind("api:u:alice");
    Tools t2 = f.tools.bind(f.turn("api:u:alice", Duration.ofSeconds(5)), new MapSessionState()); // 5 s left
    f.spawn("first", () -> assertThat(code(t1.call(keyed("effect", "{}", "k")))).isEqualTo("ok"));
    effect.started.await();
    ToolResult[] second = new ToolResult[1];
    Thread th = f.spawn("second", () -> second[0] = t2.call(keyed("effect", "{}", "k")));
    f.until("the repeat waits", () -> f.waits("duplicate_call") == 1);
    f.clock.advance(Duration.ofSeconds(5));
    th.join();
    assertThat(code(second[0])).isEqualTo("timeout");
    assertThat(effect.runs).as("the first still runs").hasValue(0);
    effect.gate.countDown();
  }
}
