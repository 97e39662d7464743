package dev.baton.tools;

import static dev.baton.tools.Fixture.call;
import static dev.baton.tools.Fixture.code;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.spi.ClusterLocks;
import dev.baton.spi.StoreException;
import dev.baton.spi.tool.ToolResult;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How a call takes cross-node locks (the database side is tested in baton-jdbc): after its local locks, with
 * the same claims in key order and the call's deadline, released before its local locks; a cluster-lock
 * timeout, a store failure and an interruption each end the call like their local counterparts.
 */
class ClusterLocksWiringTest {
  @TempDir Path dir;
  Fixture f;

  /** A ClusterLocks that records what it is asked and what the local lock manager held at that moment. */
  final class Recording implements ClusterLocks {
    final List<String> events = new CopyOnWriteArrayList<>();
    volatile Function<List<Claim>, Held> behaviour = claims -> () -> {};

    @Override
    public Held acquire(List<Claim> claims, Instant deadline) throws InterruptedException {
      events.add("acquire " + claims + " by " + Duration.between(f.clock.now(), deadline).toMillis() + "ms"
          + " local=" + localHolders(claims));
      Held inner = behaviourOrBlock(claims);
      return () -> {
        events.add("release local=" + localHolders(claims));
        inner.close();
      };
    }

    private Held behaviourOrBlock(List<Claim> claims) throws InterruptedException {
      if (claims.getFirst().key().contains("wait")) {
        waiting.countDown();
        new CountDownLatch(1).await(); // only an interruption ends this
      }
      return behaviour.apply(claims);
    }

    final CountDownLatch waiting = new CountDownLatch(1);

    private int localHolders(List<Claim> claims) {
      int n = 0;
      for (Claim c : claims) n += f.tools.internals().locks().holders(c.key()).size();
      return n;
    }
  }

  final Recording cluster = new Recording();

  /** Declares the resources named in its arguments ({@code "x"}: exclusive, {@code "s"}: shared). */
  final Tool multi = new TestTools.Base("multi") {
    @Override
    public List<Resource> resources(JsonNode args, ToolContext ctx) {
      List<Resource> out = new java.util.ArrayList<>();
      args.path("x").forEach(n -> out.add(Resource.of("res", n.asText(), Access.EXCLUSIVE)));
      args.path("s").forEach(n -> out.add(Resource.of("res", n.asText(), Access.SHARED)));
      return out;
    }

    @Override
    public JsonNode execute(JsonNode args, ToolContext ctx) throws InterruptedException {
      if (args.has("nested")) ctx.lock(Resource.of("res", args.get("nested").asText(), Access.EXCLUSIVE));
      return ctx.json().objectNode();
    }
  };

  @AfterEach
  void tearDown() throws InterruptedException {
    f.close();
  }

  final SimpleMeterRegistry meters = new SimpleMeterRegistry();

  void withCluster() {
    f = new Fixture(dir, BatonTools.builder().builtIns(false).tool(multi).clusterLocks(cluster).meterRegistry(meters));
  }

  double failed(String cause) {
    return meters.counter("baton.lock.failed", "cause", cause).count();
  }

  @Test
  void aCallTakesTheSameClaimsInKeyOrderAfterItsLocalLocksAndReleasesThemFirst() throws Exception {
    withCluster();
    ToolResult r = f.bind("api:u:alice").call(call("multi", "{\"x\":[\"b\",\"a\"],\"s\":[\"c\",\"a\"]}"));
    assertThat(code(r)).isEqualTo("ok");
    assertThat(cluster.events).containsExactly(
        "acquire [Claim[key=res:a, exclusive=true], Claim[key=res:b, exclusive=true],"
            + " Claim[key=res:c, exclusive=false]] by " + Fixture.CALL_TIMEOUT_MS + "ms local=3",
        "release local=3");
    assertThat(f.tools.internals().locks().holders("res:a")).isEmpty();
    assertThat(meters.timer("baton.cluster.lock.wait").count()).isEqualTo(1);
  }

  @Test
  void aNestedLockIsTakenAcrossNodesToo() throws Exception {
    withCluster();
    assertThat(code(f.bind("api:u:alice").call(call("multi", "{\"x\":[\"a\"],\"nested\":\"z\"}")))).isEqualTo("ok");
    assertThat(cluster.events).hasSize(4);
    assertThat(cluster.events.get(1)).startsWith("acquire [Claim[key=res:z, exclusive=true]]").endsWith("local=1");
    assertThat(cluster.events.subList(2, 4)).as("the last taken goes first, both before the local locks")
        .containsExactly("release local=1", "release local=1");
  }

  @Test
  void aClusterLockTimeoutIsATimeoutNamingTheResource() throws Exception {
    withCluster();
    cluster.behaviour = claims -> {
      throw new ClusterLocks.ClusterLockTimeoutException("cluster lock res:a was not free within the call's time");
    };
    ToolResult r = f.bind("api:u:alice").call(call("multi", "{\"x\":[\"a\"]}"));
    assertThat(r).isEqualTo(new ToolResult.Failed("timeout", "cluster lock res:a was not free within the call's time"));
    assertThat(f.tools.internals().locks().holders("res:a")).as("the local lock went too").isEmpty();
    assertThat(failed("cluster_timeout")).isEqualTo(1);
    // Not recorded: a repeat runs again (and this time gets the lock).
    cluster.behaviour = claims -> () -> {};
    assertThat(code(f.bind("api:u:alice").call(call("multi", "{\"x\":[\"a\"]}")))).isEqualTo("ok");
  }

  @Test
  void anUnreachableDatabaseFailsTheCallAsRetriableWithoutRunningIt() throws Exception {
    withCluster();
    cluster.behaviour = claims -> {
      throw new StoreException("connection refused to db.internal:5432 as user baton");
    };
    ToolResult r = f.bind("api:u:alice").call(call("multi", "{\"x\":[\"a\"]}"));
    assertThat(code(r)).isEqualTo("unavailable");
    assertThat(((ToolResult.Failed) r).message()).doesNotContain("db.internal").doesNotContain("baton");
    assertThat(failed("cluster_unavailable")).isEqualTo(1);
  }

  @Test
  void aCallWaitingForAClusterLockIsInterruptedAtItsDeadlineAndReleasesItsLocalLocks() throws Exception {
    withCluster();
    ToolResult[] r = new ToolResult[1];
    Thread t = f.spawn("alice", () -> r[0] = f.bind("api:u:alice").call(call("multi", "{\"x\":[\"wait\"]}")));
    cluster.waiting.await();
    assertThat(f.tools.internals().locks().holders("res:wait")).hasSize(1);
    assertThat(f.tools.snapshot().waits()).as("the wait is shown, blocked by nobody on this node")
        .filteredOn(w -> w.waitsFor().startsWith("lock")).singleElement().satisfies(w -> {
          assertThat(w.waitsFor()).isEqualTo("lock cluster res:wait (exclusive)");
          assertThat(w.blockedBy()).isEmpty();
        });
    f.clock.advance(Duration.ofMillis(Fixture.CALL_TIMEOUT_MS));
    t.join();
    assertThat(code(r[0])).isEqualTo("timeout");
    f.until("the local lock is released", () -> f.tools.internals().locks().holders("res:wait").isEmpty());
    assertThat(f.tools.snapshot().waits()).noneMatch(w -> w.waitsFor().startsWith("lock"));
  }

  @Test
  void aCallWithoutResourcesAsksNothing() throws Exception {
    withCluster();
    assertThat(code(f.bind("api:u:alice").call(call("multi", "{}")))).isEqualTo("ok");
    assertThat(cluster.events).isEmpty();
  }

  @Test
  void withoutClusterLocksNothingIsAsked() throws Exception {
    f = new Fixture(dir, BatonTools.builder().builtIns(false).tool(multi));
    assertThat(code(f.bind("api:u:alice").call(call("multi", "{\"x\":[\"a\"],\"nested\":\"z\"}")))).isEqualTo("ok");
    assertThat(cluster.events).isEmpty();
  }
}
