package dev.baton.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.Baton;
import dev.baton.config.StorageConfig;
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
 * With a real SQLite journal: a reply the client has not acknowledged survives a restart of the whole
 * process stack (store, engine, gateway) and is served again; once acknowledged it is never served again.
 */
class SqliteRestartTest {

  static final ObjectMapper M = new ObjectMapper();

  @TempDir Path dir;

  Harness start(Store store) {
    return new Harness(Scheduler.system(), store,
        c -> c.withStorage(StorageConfig.sqlite(dir.resolve("baton.db").toString())),
        (c, router) -> Baton.builder().config(c).store(store).scheduler(Scheduler.system()).replies(router).build());
  }

  Store open() {
    return SqliteStore.open(StorageConfig.sqlite(dir.resolve("baton.db").toString()), Duration.ofHours(1),
        Scheduler.system());
  }

  @Test
  void unacknowledgedRepliesSurviveARestartAndAcknowledgedOnesDoNotComeBack() throws Exception {
    String alice = Tokens.bearer("alice", Instant.now().plusSeconds(3600));
    Store store = open();
    try (Harness h = start(store)) {
      assertThat(h.post("/v1/messages", alice, "{\"id\":\"m1\",\"text\":\"first\"}").statusCode()).isEqualTo(202);
      JsonNode page = M.readTree(h.get("/v1/replies?wait_ms=10000", alice).body());
      assertThat(page.path("replies").get(0).path("text").asText()).isEqualTo("first (turn 1)");
      // read but not acknowledged
    } finally {
      store.close();
    }
    Store again = open();
    try (Harness h = start(again)) {
      JsonNode page = M.readTree(h.get("/v1/replies?wait_ms=10000", alice).body());
      assertThat(page.path("replies")).hasSize(1);
      assertThat(page.path("replies").get(0).path("in_reply_to").asText()).isEqualTo("m1");
      assertThat(h.post("/v1/messages", alice, "{\"id\":\"m1\",\"text\":\"first\"}").statusCode())
          .as("the journal remembers m1 across the restart").isEqualTo(200);
      h.get("/v1/replies?after=" + page.path("next").asText(), alice); // acknowledge
      assertThat(again.undeliveredReplies()).isEmpty();
    } finally {
      again.close();
    }
    Store third = open();
    try (Harness h = start(third)) {
      assertThat(M.readTree(h.get("/v1/replies", alice).body()).path("replies")).isEmpty();
    } finally {
      third.close();
    }
  }
}
