package dev.baton.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.config.ChannelsConfig;
import dev.baton.gateway.support.Clocks;
import dev.baton.gateway.support.FakeEngine;
import dev.baton.gateway.support.Harness;
import dev.baton.gateway.support.RecordingStore;
import dev.baton.gateway.support.Tokens;
import dev.baton.testing.ManualScheduler;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** P11: `channels.api.max_polls_per_user` over a real loopback socket. */
class PollLimitsTest {

  static final ObjectMapper M = new ObjectMapper();
  static final int MAX = 3;
  ManualScheduler clock;
  Harness h;
  HttpClient client;

  @BeforeEach
  void start() {
    clock = new ManualScheduler();
    h = new Harness(clock, new RecordingStore(), c -> c.withChannels(c.channels().withApi(
        new ChannelsConfig.ApiChannelConfig(true, c.channels().api().jwt(), 1000, MAX))),
        (c, r) -> new FakeEngine(c, r));
    client = HttpClient.newBuilder().executor(Executors.newVirtualThreadPerTaskExecutor()).build();
  }

  @AfterEach
  void stop() {
    h.close();
    client.close();
  }

  private CompletableFuture<HttpResponse<String>> poll(String token, String query) {
    return client.sendAsync(HttpRequest.newBuilder(h.uri("/v1/replies?" + query)).header("Authorization", token)
        .build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void thePollBeyondTheBoundIs429AtOnceOthersAndOtherUsersStillWait() throws Exception {
    String mallory = Tokens.bearer("mallory", clock.now().plusSeconds(3600));
    String alice = Tokens.bearer("alice", clock.now().plusSeconds(3600));
    List<CompletableFuture<HttpResponse<String>>> parked = new ArrayList<>();
    for (int i = 0; i < MAX; i++) parked.add(poll(mallory, "wait_ms=30000"));
    Clocks.awaitTimers(clock, MAX); // all three parked on their deadline

    HttpResponse<String> over = poll(mallory, "wait_ms=30000").get(10, TimeUnit.SECONDS);
    assertThat(over.statusCode()).isEqualTo(429);
    JsonNode err = M.readTree(over.body()).path("error");
    assertThat(err.path("code").asText()).isEqualTo("too_many_polls");
    assertThat(err.path("message").asText()).contains("too many long polls");
    // A poll that does not wait is not a long poll: answered at once.
    assertThat(poll(mallory, "wait_ms=0").get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    // Another user is not affected.
    CompletableFuture<HttpResponse<String>> alicePoll = poll(alice, "wait_ms=30000");
    Clocks.awaitTimers(clock, MAX + 1);
    assertThat(h.meters.counter("baton.gateway.api.polls.refused").count()).isEqualTo(1);

    clock.advance(Duration.ofSeconds(30)); // every parked poll answers empty at its deadline
    for (CompletableFuture<HttpResponse<String>> p : parked) {
      assertThat(p.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    }
    assertThat(alicePoll.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    // The places were given back.
    List<CompletableFuture<HttpResponse<String>>> again = new ArrayList<>();
    for (int i = 0; i < MAX; i++) again.add(poll(mallory, "wait_ms=1000"));
    Clocks.awaitTimers(clock, MAX);
    clock.advance(Duration.ofSeconds(1));
    for (CompletableFuture<HttpResponse<String>> p : again) {
      assertThat(p.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    }
  }
}
