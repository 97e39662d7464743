package dev.baton.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.Baton;
import dev.baton.config.ChannelsConfig;
import dev.baton.config.StorageConfig;
import dev.baton.gateway.support.Eventually;
import dev.baton.gateway.support.Harness;
import dev.baton.gateway.support.Tokens;
import dev.baton.jdbc.SqliteStore;
import dev.baton.spi.Scheduler;
import dev.baton.spi.Store;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * P11, the outbox per user: a client that never polls keeps at most `channels.api.reply_buffer` replies, in
 * memory and in the store's outbox (the oldest are dropped, counted, and marked delivered), so a restart
 * does not bring the backlog back. Real SQLite, real HTTP on loopback.
 */
class OutboxBoundTest {

  static final ObjectMapper M = new ObjectMapper();
  static final int BUFFER = 5;
  static final int SENT = 12;

  @TempDir Path dir;

  Harness start(Store store) {
    return new Harness(Scheduler.system(), store, c -> c.withStorage(StorageConfig.sqlite(db()))
        .withChannels(c.channels().withApi(new ChannelsConfig.ApiChannelConfig(true, c.channels().api().jwt(),
            BUFFER))),
        (c, router) -> Baton.builder().config(c).store(store).scheduler(Scheduler.system()).replies(router).build());
  }

  String db() {
    return dir.resolve("baton.db").toString();
  }

  @Test
  void aClientThatNeverPollsKeepsOnlyTheNewestRepliesInTheOutboxAcrossARestart() throws Exception {
    String mallory = Tokens.bearer("mallory", Instant.now().plusSeconds(3600));
    Store store = SqliteStore.open(StorageConfig.sqlite(db()), Duration.ofHours(1), Scheduler.system());
    try (Harness h = start(store)) {
      for (int i = 1; i <= SENT; i++) {
        assertThat(h.post("/v1/messages", mallory, "{\"id\":\"m" + i + "\",\"text\":\"t" + i + "\"}").statusCode())
            .isEqualTo(202);
        int answered = i;
        // One at a time, so the per-session queue cap is not what bounds anything here.
        Eventually.until("m" + i + " answered", () -> store.stats().unfinished() == 0
            && store.stats().undeliveredReplies() == Math.min(answered, BUFFER));
      }
      assertThat(store.undeliveredReplies()).hasSize(BUFFER);
      assertThat(h.meters.counter("baton.gateway.api.replies.dropped").count()).isEqualTo(SENT - BUFFER);
    } finally {
      store.close();
    }
    Store again = SqliteStore.open(StorageConfig.sqlite(db()), Duration.ofHours(1), Scheduler.system());
    try (Harness h = start(again)) {
      JsonNode page = M.readTree(h.get("/v1/replies?wait_ms=10000", mallory).body());
      assertThat(page.path("replies")).hasSize(BUFFER);
      assertThat(page.path("replies").get(0).path("in_reply_to").asText()).isEqualTo("m" + (SENT - BUFFER + 1));
      assertThat(page.path("replies").get(BUFFER - 1).path("in_reply_to").asText()).isEqualTo("m" + SENT);
    } finally {
      again.close();
    }
  }
}
