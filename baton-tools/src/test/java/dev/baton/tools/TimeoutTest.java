package dev.baton.tools;

import static dev.baton.tools.Fixture.call;
import dev.baton.testing.MapSessionState;
import static dev.baton.tools.Fixture.code;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.spi.tool.ToolResult;
import dev.baton.spi.tool.Tools;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** P4: a call ends at its deadline by interruption; its locks go only when its thread really stops. */
class TimeoutTest {
  @TempDir Path dir;
  Fixture f;
  final TestTools.Blocker blocker = new TestTools.Blocker();
  final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  final Tool touch = new TestTools.Base("touch") {
    @Override
    public List<Resource> resources(JsonNode args, ToolContext ctx) {
      return List.of(Resource.path("test", args.get("lock").asText(), Access.EXCLUSIVE));
    }

    @Override
    public JsonNode execute(JsonNode args, ToolContext ctx) {
      return ctx.json().objectNode().put("touched", true);
    }
  };

  @BeforeEach
  void setUp() {
    f = new Fixture(dir, BatonTools.builder().tool(blocker).tool(touch).meterRegistry(meters));
  }

  @AfterEach
  void tearDown() throws InterruptedException {
    blocker.letGo.countDown();
    f.close();
  }

  List<String> holders(String key) {
    return f.tools.internals().locks().holders(key);
  }

  @Test
  void aCooperativeToolIsInterruptedAtItsTimeoutAndItsLocksGo() throws Exception {
    Tools t = f.bind("api:u:alice");
    ToolResult[] r = new ToolResult[1];
    Thread caller = f.spawn("caller", () -> r[0] = t.call(call("block", "{\"lock\":\"x\",\"cooperative\":true}")));
    blocker.started.await();
    assertThat(holders("test:x")).hasSize(1);
    f.clock.advance(Duration.ofMillis(999));
    assertThat(caller.isAlive()).isTrue();
    f.clock.advance(Duration.ofMillis(1)); // the tool's own timeout: 1,000 ms
    caller.join();
    assertThat(code(r[0])).isEqualTo("timeout");
    blocker.stopped.await();
    f.until("locks released once the holder stopped", () -> holders("test:x").isEmpty());
  }

  @Test
  void aToolIgnoringInterruptionKeepsItsLocksUntilItStopsAndIsReportedStuck() throws Exception {
    Tools alice = f.bind("api:u:alice"), bob = f.bind("api:u:bob");
    ToolResult[] r = new ToolResult[2];
    Thread a = f.spawn("alice", () -> r[0] = alice.call(call("block", "{\"lock\":\"y\"}")));
    blocker.started.await();
    f.clock.advance(Duration.ofMillis(1_000));
    a.join();
    assertThat(code(r[0])).as("the caller is not held hostage").isEqualTo("timeout");
    f.until("the tool saw the interruption", () -> blocker.interrupts.get() > 0);
    assertThat(blocker.stopped.getCount()).as("but it still runs").isEqualTo(1);
    assertThat(holders("test:y")).as("and keeps its lock while it runs").hasSize(1);

    Thread b = f.spawn("bob", () -> r[1] = bob.call(call("touch", "{\"lock\":\"y\"}")));
    f.until("bob waits for the lock", () -> f.waits("lock") == 1);
    f.clock.advance(Duration.ofMillis(Fixture.CHECK_MS)); // the sweep reports the stuck call
    assertThat(f.tools.snapshot().runningCalls()).anySatisfy(c -> assertThat(c.stuck()).isTrue());
    assertThat(meters.counter("baton.tool.calls.stuck").count()).isEqualTo(1);
    assertThat(b.isAlive()).isTrue();

    blocker.letGo.countDown(); // the tool finally stops
    b.join();
    assertThat(code(r[1])).isEqualTo("ok");
    f.until("all released", () -> holders("test:y").isEmpty());
    // The running-call record goes once the holder thread has finished its bookkeeping, just after release.
    f.until("no call left running", () -> f.tools.snapshot().runningCalls().isEmpty());
  }

  @Test
  void aTurnWithoutTimeLeftFailsAtOnce() throws Exception {
    Tools t = f.tools.bind(f.turn("api:u:alice", Duration.ZERO), new MapSessionState());
    assertThat(code(t.call(call("touch", "{\"lock\":\"z\"}")))).isEqualTo("timeout");
  }

  @Test
  void aLockWaitIsBoundedByTheCallsTime() throws Exception {
    Tools alice = f.bind("api:u:alice"), bob = f.bind("api:u:bob");
    f.spawn("alice", () -> alice.call(call("block", "{\"lock\":\"w\",\"cooperative\":true}")));
    blocker.started.await();
    ToolResult[] r = new ToolResult[1];
    Tools bobShort = f.tools.bind(f.turn("api:u:bob", Duration.ofMillis(300)), new MapSessionState());
    Thread b = f.spawn("bob", () -> r[0] = bobShort.call(call("touch", "{\"lock\":\"w\"}")));
    f.until("bob waits", () -> f.waits("lock") == 1);
    f.clock.advance(Duration.ofMillis(300));
    b.join();
    assertThat(code(r[0])).isEqualTo("timeout");
    // The caller is answered at its deadline; the call's own thread leaves the lock queue once it has seen
    // the interruption, which may be a moment later.
    f.until("bob's wait is gone", () -> f.waits("lock") == 0);
    assertThat(bob.available()).isNotEmpty();
  }
}
