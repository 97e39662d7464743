package dev.baton.tools;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.Baton;
import dev.baton.InboundMessage;
import dev.baton.Reply;
import dev.baton.SessionKey;
import dev.baton.config.BatonConfig;
import dev.baton.config.ToolsConfig;
import dev.baton.spi.tool.ToolCall;
import dev.baton.spi.tool.ToolResult;
import dev.baton.testing.ManualScheduler;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * P10 cancel through the real engine and tool runtime: a turn cancelled while its tool call holds an exclusive
 * lock ends with a CANCELLED reply, the tool's thread is interrupted, and the lock is free for the next session at
 * once (no lock outlives the cancel). Real virtual threads; time is a ManualScheduler, so no deadline helps.
 */
class CancelThroughEngineTest {

  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  @TempDir Path dir;
  private final ManualScheduler clock = new ManualScheduler();
  private final LinkedBlockingQueue<Reply> replies = new LinkedBlockingQueue<>();
  private final TestTools.Blocker blocker = new TestTools.Blocker();
  private final CountDownLatch bobHasTheLock = new CountDownLatch(1);
  @SuppressWarnings("NullAway.Init") private BatonTools tools;
  @SuppressWarnings("NullAway.Init") private Baton baton;

  @AfterEach
  void stop() {
    blocker.letGo.countDown();
    if (baton != null) baton.close();
    if (tools != null) tools.close();
  }

  private void start() {
    BatonConfig base = BatonConfig.defaults();
    BatonConfig cfg = base.withTools(new ToolsConfig(dir.toString(), 3_600_000, Map.of()));
    tools = BatonTools.builder().config(cfg).scheduler(clock).tool(blocker).tool(new TestTools.Base("grab") {
      @Override
      public java.util.List<Resource> resources(com.fasterxml.jackson.databind.JsonNode args, ToolContext ctx) {
        return java.util.List.of(Resource.path("test", "x", Access.EXCLUSIVE));
      }

      @Override
      public com.fasterxml.jackson.databind.JsonNode execute(com.fasterxml.jackson.databind.JsonNode args,
          ToolContext ctx) {
        bobHasTheLock.countDown();
        return ctx.json().objectNode();
      }
    }).build();
    baton = Baton.builder().config(cfg).scheduler(clock).tools(tools).replies(replies::add).agent(turn -> {
      String text = turn.messages().getLast().text();
      ToolResult r = turn.tools().call(ToolCall.of(text, "{\"lock\":\"x\",\"cooperative\":true}"));
      turn.reply(text + " " + (r instanceof ToolResult.Ok ? "ok" : ((ToolResult.Failed) r).code()));
    }).build();
  }

  @Test
  void aCancelledTurnsToolLockIsFreeForTheNextSessionAtOnce() throws Exception {
    start();
    baton.submit(InboundMessage.of("api", "a1", "alice", "block", T0));
    assertThat(blocker.started.await(20, TimeUnit.SECONDS)).isTrue(); // Alice's call holds "x"
    assertThat(baton.cancel(SessionKey.user("api", "alice"), false).turns()).isEqualTo(1);

    Reply cancelled = replies.poll(20, TimeUnit.SECONDS);
    assertThat(cancelled).isNotNull();
    assertThat(cancelled.kind()).isEqualTo(Reply.Kind.CANCELLED);
    assertThat(blocker.stopped.await(20, TimeUnit.SECONDS)).as("the tool's thread was interrupted").isTrue();

    baton.submit(InboundMessage.of("api", "b1", "bob", "grab", T0));
    assertThat(bobHasTheLock.await(20, TimeUnit.SECONDS)).as("the lock was released").isTrue();
    Reply bob = replies.poll(20, TimeUnit.SECONDS);
    assertThat(bob).isNotNull();
    assertThat(bob.text()).isEqualTo("grab ok");
    assertThat(tools.snapshot().waits()).isEmpty();
    assertThat(tools.snapshot().runningCalls()).isEmpty();
  }
}
