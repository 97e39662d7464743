package dev.baton.gateway.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.LiveEvent;
import dev.baton.Reply;
import dev.baton.SessionKey;
import dev.baton.config.ChannelsConfig.DeliveryConfig;
import dev.baton.config.ChannelsConfig.DiscordConfig;
import dev.baton.config.ChannelsConfig.SlackConfig;
import dev.baton.config.ChannelsConfig.SlackConfig.SlackStreaming;
import dev.baton.config.ChannelsConfig.TelegramConfig;
import dev.baton.config.ChannelsConfig.WhatsAppConfig;
import dev.baton.gateway.support.Clocks;
import dev.baton.gateway.support.Eventually;
import dev.baton.gateway.support.RecordingServer;
import dev.baton.testing.ManualScheduler;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Partial text (P10) through the outbound lanes to each platform's recording API, with the real senders and a
 * manual clock: the preview then final sequence of calls, the per-chat edit throttle, coalescing under 429, the
 * final text after 429s, the bound on pending text, and the anchor a second delivery (Baton after a crash)
 * edits. No sleeps: a test waits for the drainer's throttle timer (Clocks.awaitTimers) before it moves time.
 */
class StreamingDeliveryTest {

  static final String BOT = "123456:ABC-bot-token";
  static final String MESSAGE_77 = "{\"ok\":true,\"result\":{\"message_id\":77}}";
  static final ObjectMapper JSON = new ObjectMapper();

  final ManualScheduler clock = new ManualScheduler();
  final RecordingServer api = new RecordingServer();
  final AnchorStore store = new AnchorStore();
  final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  final List<OutboundDelivery> deliveries = new ArrayList<>();

  @AfterEach
  void stop() {
    deliveries.forEach(OutboundDelivery::stop);
    api.close();
  }

  OutboundDelivery delivery(String channel, OutboundDelivery.Sink sink) {
    OutboundDelivery d = new OutboundDelivery(Map.of(channel, sink), store, clock,
        new DeliveryConfig(4, 500, 4_000, 5_000), meters);
    deliveries.add(d);
    return d;
  }

  PlatformHttp http() {
    return new PlatformHttp(Duration.ofSeconds(5), clock);
  }

  OutboundDelivery telegram() {
    return delivery("telegram", new TelegramChannel.Sender(new TelegramConfig(true, BOT,
        "tg-secret-token_0123456789abcdefghij", api.baseUrl(), 1000), http()));
  }

  OutboundDelivery slack(SlackStreaming mode) {
    return delivery("slack", new SlackChannel.Sender(new SlackConfig(true, "signing", "xoxb-bot", api.baseUrl(),
        mode, 1000), http()));
  }

  static SessionKey session(String s) {
    return SessionKey.user("telegram", s);
  }

  static Map<String, String> tgRouting(String chat) {
    return Map.of("chat_id", chat, "message_id", "5");
  }

  static LiveEvent.Delta delta(String session, String channel, String chat, Map<String, String> routing,
      String streamId, long offset, String text) {
    return new LiveEvent.Delta(session(session), channel, chat, "m1", routing, streamId, offset, text);
  }

  static Reply fin(String session, long seq, String channel, String chat, Map<String, String> routing,
      String streamId, Reply.Kind kind, String text) {
    return new Reply(session(session), seq, channel, chat, "m1", kind, text, OptionalLong.empty(), routing,
        streamId, List.of("m1"));
  }

  /** Feeds {@code parts} as consecutive deltas of one stream. */
  static void stream(OutboundDelivery d, String session, String channel, String chat, Map<String, String> routing,
      String streamId, long offset, String... parts) {
    long at = offset;
    for (String p : parts) {
      d.live(delta(session, channel, chat, routing, streamId, at, p));
      at += p.length();
    }
  }

  static String method(RecordingServer.Call c) {
    return c.path().substring(c.path().lastIndexOf('/') + 1);
  }

  static JsonNode body(RecordingServer.Call c) throws Exception {
    return JSON.readTree(c.body());
  }

  @Test
  void telegramGroupPreviewIsASentMessageEditedAtMostOncePerIntervalAndTheFinalTextEditsIt() throws Exception {
    api.okBody = MESSAGE_77;
    OutboundDelivery d = telegram();
    stream(d, "s1", "telegram", "-100", tgRouting("-100"), "m1#1", 0, "Hel");
    RecordingServer.Call first = api.next();
    assertThat(method(first)).isEqualTo("sendMessage");
    assertThat(body(first).path("text").asText()).isEqualTo("Hel");
    stream(d, "s1", "telegram", "-100", tgRouting("-100"), "m1#1", 3, "lo", " wor");
    Clocks.awaitTimers(clock, 1); // the drainer waits for the chat's next slot
    assertThat(d.queuedPreviews(session("s1"))).isEqualTo(1); // two deltas, one pending update
    clock.advance(Duration.ofMillis(999));
    assertThat(api.calls).hasSize(1);
    clock.advance(Duration.ofMillis(1));
    RecordingServer.Call edit = api.next();
    assertThat(method(edit)).isEqualTo("editMessageText");
    assertThat(body(edit).path("message_id").asLong()).isEqualTo(77);
    assertThat(body(edit).path("text").asText()).isEqualTo("Hello wor");
    assertThat(store.log).containsExactly("put m1#1 telegram:-100:77"); // stored after the first answer

    d.enqueue(fin("s1", 1, "telegram", "-100", tgRouting("-100"), "m1#1", Reply.Kind.REPLY, "Hello world"));
    RecordingServer.Call last = api.next();
    assertThat(method(last)).isEqualTo("editMessageText"); // the final text ends in the preview's message
    assertThat(body(last).path("message_id").asLong()).isEqualTo(77);
    assertThat(body(last).path("text").asText()).isEqualTo("Hello world");
    assertThat(d.awaitIdle(Duration.ofSeconds(5))).isTrue();
    assertThat(api.calls).hasSize(3);
    assertThat(store.base.delivered).hasSize(1);
    assertThat(store.log).containsExactly("put m1#1 telegram:-100:77", "remove m1#1");
    assertThat(store.anchors).isEmpty();
  }

  @Test
  void aFinalQueuedBehindAThrottledPreviewGoesOutWithoutWaitingForTheChatsSlot() throws Exception {
    api.okBody = MESSAGE_77;
    OutboundDelivery d = telegram();
    stream(d, "s1", "telegram", "-100", tgRouting("-100"), "m1#1", 0, "Hel");
    assertThat(method(api.next())).isEqualTo("sendMessage");
    stream(d, "s1", "telegram", "-100", tgRouting("-100"), "m1#1", 3, "lo");
    Clocks.awaitTimers(clock, 1); // the preview waits for the chat's next slot (a Retry-After can make it an hour)
    d.enqueue(new Reply(session("s1"), 1, "telegram", "-100", "m2", Reply.Kind.ERROR, "Sorry, something went wrong",
        OptionalLong.empty(), tgRouting("-100"))); // another message's reply: no stream of its own
    RecordingServer.Call err = api.next(); // at once: the clock never moved
    assertThat(body(err).path("text").asText()).isEqualTo("Sorry, something went wrong");
    assertThat(d.queuedPreviews(session("s1"))).isZero();
  }

  @Test
  void aPlainReplyOfTheTurnEndsTheStreamItLeftOpenAndTheLaneRetires() throws Exception {
    api.okBody = MESSAGE_77;
    OutboundDelivery d = telegram();
    stream(d, "s1", "telegram", "-100", tgRouting("-100"), "m1#1", 0, "Half an ans");
    assertThat(method(api.next())).isEqualTo("sendMessage");
    d.enqueue(fin("s1", 1, "telegram", "-100", tgRouting("-100"), "", Reply.Kind.REPLY, "A plain reply"));
    assertThat(body(api.next()).path("text").asText()).isEqualTo("A plain reply");
    assertThat(d.awaitIdle(Duration.ofSeconds(5))).isTrue();
    Eventually.until("the lane of a session with no open stream retires", () -> d.lanes() == 0);
    assertThat(d.previewText(session("s1"), "m1#1")).isNull();
  }

  @Test
  void aStreamWhoseFinalNeverComesIsDroppedOnceTheTurnTimeoutHasPassed() throws Exception {
    api.okBody = MESSAGE_77;
    OutboundDelivery d = telegram();
    d.streamTtl(Duration.ofSeconds(120));
    stream(d, "s1", "telegram", "-100", tgRouting("-100"), "m1#1", 0, "and then the turn died");
    assertThat(method(api.next())).isEqualTo("sendMessage");
    clock.advance(Duration.ofSeconds(119));
    d.enqueue(fin("s2", 1, "telegram", "-200", tgRouting("-200"), "", Reply.Kind.REPLY, "other session"));
    api.next();
    assertThat(d.awaitIdle(Duration.ofSeconds(5))).isTrue();
    assertThat(d.previewText(session("s1"), "m1#1")).isNotNull(); // younger than the TTL: kept
    clock.advance(Duration.ofSeconds(1));
    d.enqueue(fin("s3", 1, "telegram", "-300", tgRouting("-300"), "", Reply.Kind.REPLY, "traffic"));
    api.next();
    assertThat(d.awaitIdle(Duration.ofSeconds(5))).isTrue();
    Eventually.until("the stale stream and its lane are gone", () -> d.lanes() == 0);
    assertThat(d.previewText(session("s1"), "m1#1")).isNull();
  }

  @Test
  void telegramPrivateChatPreviewIsADraftAndTheFinalTextARealMessage() throws Exception {
    OutboundDelivery d = telegram();
    stream(d, "s1", "telegram", "42", tgRouting("42"), "m9#1", 0, "Hi");
    RecordingServer.Call draft = api.next();
    assertThat(method(draft)).isEqualTo("sendMessageDraft");
    assertThat(body(draft).path("chat_id").asText()).isEqualTo("42");
    assertThat(body(draft).path("draft_id").asInt()).isEqualTo(TelegramChannel.Sender.draftId("m9#1")).isNotZero();
    assertThat(body(draft).path("text").asText()).isEqualTo("Hi");
    d.enqueue(fin("s1", 1, "telegram", "42", tgRouting("42"), "m9#1", Reply.Kind.REPLY, "Hi there"));
    RecordingServer.Call message = api.next();
    assertThat(method(message)).isEqualTo("sendMessage");
    assertThat(body(message).path("text").asText()).isEqualTo("Hi there");
    assertThat(d.awaitIdle(Duration.ofSeconds(5))).isTrue();
    assertThat(store.log).isEmpty(); // a draft is no message: nothing to anchor
  }

  @Test
  void aPrivateChatWhereDraftsAreRefusedPreviewsAsAnEditedMessage() throws Exception {
    api.okBody = MESSAGE_77;
    OutboundDelivery d = telegram();
    api.answer(400, Map.of(), "{\"ok\":false,\"description\":\"Bad Request: method is unavailable\"}");
    stream(d, "s1", "telegram", "42", tgRouting("42"), "m9#1", 0, "Hi");
    assertThat(method(api.next())).isEqualTo("sendMessageDraft");
    RecordingServer.Call message = api.next(); // at once, in the same preview
    assertThat(method(message)).isEqualTo("sendMessage");
    assertThat(body(message).path("text").asText()).isEqualTo("Hi");
    d.enqueue(fin("s1", 1, "telegram", "42", tgRouting("42"), "m9#1", Reply.Kind.REPLY, "Hi there"));
    RecordingServer.Call fin = api.next();
    assertThat(method(fin)).isEqualTo("editMessageText");
    assertThat(body(fin).path("message_id").asLong()).isEqualTo(77);
    assertThat(d.awaitIdle(Duration.ofSeconds(5))).isTrue();
  }

  @Test
  void slackMessagesCarryTheRecipientThatANativeStreamNeeds() {
    String event = "{\"type\":\"event_callback\",\"team_id\":\"T9\",\"event_id\":\"Ev1\",\"event\":{\"type\":"
        + "\"message\",\"user\":\"U3\",\"channel\":\"C5\",\"text\":\"hi\",\"ts\":\"1.2\"}}";
    var m = SlackChannel.parse(event.getBytes(java.nio.charset.StandardCharsets.UTF_8)).orElseThrow();
    assertThat(m.routing()).containsEntry("user", "U3").containsEntry("team", "T9").containsEntry("ts", "1.2");
  }

  @Test
  void theThrottleIsPerChatAcrossSessions() throws Exception {
    api.okBody = MESSAGE_77;
    OutboundDelivery d = telegram();
    stream(d, "alice", "telegram", "-100", tgRouting("-100"), "a#1", 0, "from alice");
    assertThat(body(api.next()).path("text").asText()).isEqualTo("from alice");
    stream(d, "bob", "telegram", "-100", tgRouting("-100"), "b#1", 0, "from bob"); // same group: waits
    Clocks.awaitTimers(clock, 1);
    stream(d, "carol", "telegram", "-200", tgRouting("-200"), "c#1", 0, "other chat"); // not held up
    assertThat(body(api.next()).path("text").asText()).isEqualTo("other chat");
    assertThat(api.calls).hasSize(2);
    clock.advance(Duration.ofMillis(1000));
    assertThat(body(api.next()).path("text").asText()).isEqualTo("from bob");
  }

  @Test
  void under429PartialsAreMergedNotRetriedAndTheFinalTextIsDeliveredAfter429s() throws Exception {
    api.okBody = MESSAGE_77;
    OutboundDelivery d = telegram();
    api.answer(429, Map.of("Retry-After", "5"), "{\"ok\":false,\"error_code\":429}");
    stream(d, "s1", "telegram", "-100", tgRouting("-100"), "m1#1", 0, "a");
    assertThat(body(api.next()).path("text").asText()).isEqualTo("a"); // refused with 429
    stream(d, "s1", "telegram", "-100", tgRouting("-100"), "m1#1", 1, "b", "c");
    Clocks.awaitTimers(clock, 1);
    clock.advance(Duration.ofMillis(4_999)); // Retry-After holds the chat, the interval alone would not
    assertThat(api.calls).hasSize(1);
    clock.advance(Duration.ofMillis(1));
    RecordingServer.Call merged = api.next();
    assertThat(method(merged)).isEqualTo("sendMessage"); // no message yet: the 429'd one was never sent
    assertThat(body(merged).path("text").asText()).isEqualTo("abc"); // one update with all the text
    assertThat(meters.counter("baton.gateway.stream.previews.skipped", "channel", "telegram").count()).isEqualTo(1);
    Eventually.until("the merged preview's answer is taken", () -> !store.anchors.isEmpty());

    api.answer(429, Map.of("Retry-After", "2"), "");
    api.answer(429, Map.of("Retry-After", "3"), "");
    d.enqueue(fin("s1", 1, "telegram", "-100", tgRouting("-100"), "m1#1", Reply.Kind.REPLY, "abcd"));
    api.next();
    Clocks.awaitTimers(clock, 1);
    clock.advance(Duration.ofSeconds(2));
    api.next();
    Clocks.awaitTimers(clock, 1);
    clock.advance(Duration.ofSeconds(3));
    RecordingServer.Call fin = api.next();
    assertThat(method(fin)).isEqualTo("editMessageText");
    assertThat(body(fin).path("text").asText()).isEqualTo("abcd");
    assertThat(d.awaitIdle(Duration.ofSeconds(5))).isTrue();
    assertThat(store.base.delivered).hasSize(1);
    assertThat(api.calls).hasSize(5);
  }

  @Test
  void aTelegram429WithoutTheHeaderIsHonouredFromItsBody() throws Exception {
    api.okBody = MESSAGE_77;
    OutboundDelivery d = telegram();
    api.answer(429, Map.of(), "{\"ok\":false,\"error_code\":429,\"parameters\":{\"retry_after\":3}}");
    stream(d, "s1", "telegram", "-100", tgRouting("-100"), "m1#1", 0, "a");
    api.next();
    stream(d, "s1", "telegram", "-100", tgRouting("-100"), "m1#1", 1, "b");
    Clocks.awaitTimers(clock, 1);
    clock.advance(Duration.ofMillis(2_999));
    assertThat(api.calls).hasSize(1);
    clock.advance(Duration.ofMillis(1));
    assertThat(body(api.next()).path("text").asText()).isEqualTo("ab");
  }

  @Test
  void slackEditModeAfterACrashUpdatesTheAnchoredMessage() throws Exception {
    store.putAnchor(session("s1"), "m1#1", "slack:C1:200.5");
    OutboundDelivery d = slack(SlackStreaming.EDIT);
    stream(d, "s1", "slack", "C1", slackRouting(), "m1#1", 0, "again");
    RecordingServer.Call rerun = api.next();
    assertThat(method(rerun)).isEqualTo("chat.update");
    assertThat(body(rerun).path("ts").asText()).isEqualTo("200.5");
    d.enqueue(fin("s1", 1, "slack", "C1", slackRouting(), "m1#1", Reply.Kind.REPLY, "again, whole"));
    RecordingServer.Call fin = api.next();
    assertThat(method(fin)).isEqualTo("chat.update");
    assertThat(body(fin).path("text").asText()).isEqualTo("again, whole");
    assertThat(d.awaitIdle(Duration.ofSeconds(5))).isTrue();
    assertThat(store.anchors).isEmpty();
  }

  @Test
  void slackNativeModeAfterACrashStopsTheOldStreamOnceAndUpdatesIt() throws Exception {
    store.putAnchor(session("s1"), "m1#1", "slack:C1:300.9");
    OutboundDelivery d = slack(SlackStreaming.NATIVE);
    d.enqueue(fin("s1", 1, "slack", "C1", slackRouting(), "m1#1", Reply.Kind.REPLY, "whole"));
    RecordingServer.Call stop = api.next();
    assertThat(method(stop)).isEqualTo("chat.stopStream");
    assertThat(body(stop).path("ts").asText()).isEqualTo("300.9");
    assertThat(body(stop).has("markdown_text")).isFalse(); // what it shows is unknown: stopped as it is
    RecordingServer.Call update = api.next();
    assertThat(method(update)).isEqualTo("chat.update");
    assertThat(body(update).path("text").asText()).isEqualTo("whole");
    assertThat(d.awaitIdle(Duration.ofSeconds(5))).isTrue();
    assertThat(api.calls).hasSize(2);
  }

  @Test
  void pendingTextPerStreamIsBoundedByThePlatformLimitAndTheFinalTextSupersedesItInFull() throws Exception {
    api.okBody = MESSAGE_77;
    OutboundDelivery d = telegram();
    stream(d, "s1", "telegram", "-100", tgRouting("-100"), "m1#1", 0, "x");
    api.next();
    StringBuilder all = new StringBuilder("x");
    long offset = 1;
    for (int i = 0; i < 10_000; i++) { // 50,001 chars while the chat's slot is taken
      d.live(delta("s1", "telegram", "-100", tgRouting("-100"), "m1#1", offset, "12345"));
      offset += 5;
      all.append("12345");
    }
    Clocks.awaitTimers(clock, 1);
    assertThat(d.queuedPreviews(session("s1"))).isEqualTo(1);
    assertThat(d.previewText(session("s1"), "m1#1")).hasSize(TelegramChannel.Sender.MAX_TEXT)
        .isEqualTo(all.substring(0, TelegramChannel.Sender.MAX_TEXT));
    d.enqueue(fin("s1", 1, "telegram", "-100", tgRouting("-100"), "m1#1", Reply.Kind.REPLY, all.toString()));
    RecordingServer.Call fin = api.next(); // woken by the final reply: the queued preview is dropped
    assertThat(method(fin)).isEqualTo("editMessageText");
    assertThat(body(fin).path("text").asText()).isEqualTo(all.toString()); // in full, as every reply
    assertThat(d.awaitIdle(Duration.ofSeconds(5))).isTrue();
    assertThat(api.calls).hasSize(2); // partial first, then final, nothing after
    assertThat(d.queuedPreviews(session("s1"))).isZero();
    Eventually.until("the finished stream leaves nothing behind", () -> d.lanes() == 0);
  }

  @Test
  void afterACrashTheRerunsPreviewAndTheFinalReplyEditTheAnchoredMessage() throws Exception {
    api.okBody = MESSAGE_77;
    OutboundDelivery before = telegram();
    stream(before, "s1", "telegram", "-100", tgRouting("-100"), "m1#1", 0, "half an ans");
    assertThat(method(api.next())).isEqualTo("sendMessage");
    Eventually.until("the anchor is stored", () -> store.anchors.containsValue("telegram:-100:77"));
    before.stop(); // the crash: the lanes and their memory are gone, the store stays

    api.okBody = "{\"ok\":true,\"result\":{\"message_id\":99}}"; // a new message would be 99
    OutboundDelivery after = telegram();
    stream(after, "s1", "telegram", "-100", tgRouting("-100"), "m1#1", 0, "half"); // the re-run, from offset 0
    RecordingServer.Call rerun = api.next();
    assertThat(method(rerun)).isEqualTo("editMessageText");
    assertThat(body(rerun).path("message_id").asLong()).isEqualTo(77);
    after.enqueue(fin("s1", 1, "telegram", "-100", tgRouting("-100"), "m1#1", Reply.Kind.REPLY, "half and whole"));
    RecordingServer.Call fin = api.next();
    assertThat(method(fin)).isEqualTo("editMessageText");
    assertThat(body(fin).path("message_id").asLong()).isEqualTo(77);
    assertThat(body(fin).path("text").asText()).isEqualTo("half and whole");
    assertThat(after.awaitIdle(Duration.ofSeconds(5))).isTrue();
    assertThat(store.anchors).isEmpty();
    assertThat(api.calls).extracting(StreamingDeliveryTest::method)
        .containsExactly("sendMessage", "editMessageText", "editMessageText"); // never a second message
  }

  @Test
  void aFinalReplyAloneAfterACrashEditsTheAnchoredMessage() throws Exception {
    store.putAnchor(session("s1"), "m1#1", "telegram:-100:77"); // written by the run before the crash
    OutboundDelivery after = telegram();
    after.enqueue(fin("s1", 1, "telegram", "-100", tgRouting("-100"), "m1#1", Reply.Kind.REPLY, "whole"));
    RecordingServer.Call fin = api.next();
    assertThat(method(fin)).isEqualTo("editMessageText");
    assertThat(body(fin).path("message_id").asLong()).isEqualTo(77);
    assertThat(after.awaitIdle(Duration.ofSeconds(5))).isTrue();
    assertThat(store.anchors).isEmpty();
  }

  @Test
  void aFinalEditThatTelegramRefusesGoesOutAsANewMessageAndNotModifiedIsDone() throws Exception {
    store.putAnchor(session("s1"), "m1#1", "telegram:-100:77");
    store.putAnchor(session("s2"), "m2#1", "telegram:-100:78");
    OutboundDelivery d = telegram();
    api.answer(400, Map.of(), "{\"ok\":false,\"description\":\"Bad Request: message to edit not found\"}");
    d.enqueue(fin("s1", 1, "telegram", "-100", tgRouting("-100"), "m1#1", Reply.Kind.REPLY, "whole"));
    assertThat(method(api.next())).isEqualTo("editMessageText");
    RecordingServer.Call resent = api.next();
    assertThat(method(resent)).isEqualTo("sendMessage");
    assertThat(body(resent).path("text").asText()).isEqualTo("whole");
    assertThat(d.awaitIdle(Duration.ofSeconds(5))).isTrue(); // its answer is taken before the next is scripted
    api.answer(400, Map.of(), "{\"ok\":false,\"description\":\"Bad Request: message is not modified: x\"}");
    d.enqueue(fin("s2", 1, "telegram", "-100", tgRouting("-100"), "m2#1", Reply.Kind.REPLY, "same"));
    assertThat(method(api.next())).isEqualTo("editMessageText");
    assertThat(d.awaitIdle(Duration.ofSeconds(5))).isTrue();
    assertThat(api.calls).hasSize(3);
    assertThat(store.base.delivered).hasSize(2);
    assertThat(meters.counter("baton.gateway.delivery.failed", "channel", "telegram").count()).isZero();
  }

  @Test
  void aCancelledReplyEditsThePreviewIntoItsText() throws Exception {
    api.okBody = MESSAGE_77;
    OutboundDelivery d = telegram();
    stream(d, "s1", "telegram", "-100", tgRouting("-100"), "m1#1", 0, "partial");
    api.next();
    d.enqueue(fin("s1", 1, "telegram", "-100", tgRouting("-100"), "m1#1", Reply.Kind.CANCELLED,
        "partial [cancelled]"));
    RecordingServer.Call c = api.next();
    assertThat(method(c)).isEqualTo("editMessageText");
    assertThat(body(c).path("text").asText()).isEqualTo("partial [cancelled]");
    assertThat(d.awaitIdle(Duration.ofSeconds(5))).isTrue();
  }

  static Map<String, String> slackRouting() {
    Map<String, String> r = new HashMap<>();
    r.put("channel", "C1");
    r.put("ts", "100.1");
    r.put("user", "U7");
    r.put("team", "T1");
    return r;
  }

  @Test
  void slackEditModePostsThenUpdatesThrottledAndTheFinalTextUpdatesIt() throws Exception {
    api.okBody = "{\"ok\":true,\"channel\":\"C1\",\"ts\":\"200.5\"}";
    OutboundDelivery d = slack(SlackStreaming.EDIT);
    stream(d, "s1", "slack", "C1", slackRouting(), "m1#1", 0, "He");
    RecordingServer.Call post = api.next();
    assertThat(method(post)).isEqualTo("chat.postMessage");
    assertThat(body(post).path("text").asText()).isEqualTo("He");
    stream(d, "s1", "slack", "C1", slackRouting(), "m1#1", 2, "ll", "o");
    Clocks.awaitTimers(clock, 1);
    assertThat(api.calls).hasSize(1);
    clock.advance(Duration.ofMillis(1000));
    RecordingServer.Call update = api.next();
    assertThat(method(update)).isEqualTo("chat.update");
    assertThat(body(update).path("ts").asText()).isEqualTo("200.5");
    assertThat(body(update).path("text").asText()).isEqualTo("Hello");
    d.enqueue(fin("s1", 1, "slack", "C1", slackRouting(), "m1#1", Reply.Kind.REPLY, "Hello!"));
    RecordingServer.Call fin = api.next();
    assertThat(method(fin)).isEqualTo("chat.update");
    assertThat(body(fin).path("text").asText()).isEqualTo("Hello!");
    assertThat(d.awaitIdle(Duration.ofSeconds(5))).isTrue();
    assertThat(store.log).containsExactly("put m1#1 slack:C1:200.5", "remove m1#1");
  }

  @Test
  void slackNativeModeStartsAStreamInTheThreadAppendsOnlyNewTextAndStopsWithTheRest() throws Exception {
    api.okBody = "{\"ok\":true,\"channel\":\"C1\",\"ts\":\"300.9\"}";
    OutboundDelivery d = slack(SlackStreaming.NATIVE);
    stream(d, "s1", "slack", "C1", slackRouting(), "m1#1", 0, "One");
    RecordingServer.Call start = api.next();
    assertThat(method(start)).isEqualTo("chat.startStream");
    JsonNode b = body(start);
    assertThat(b.path("thread_ts").asText()).isEqualTo("100.1"); // the user's message
    assertThat(b.path("markdown_text").asText()).isEqualTo("One");
    assertThat(b.path("recipient_user_id").asText()).isEqualTo("U7");
    assertThat(b.path("recipient_team_id").asText()).isEqualTo("T1");
    stream(d, "s1", "slack", "C1", slackRouting(), "m1#1", 3, " two");
    Clocks.awaitTimers(clock, 1);
    clock.advance(Duration.ofMillis(1000));
    RecordingServer.Call append = api.next();
    assertThat(method(append)).isEqualTo("chat.appendStream");
    assertThat(body(append).path("ts").asText()).isEqualTo("300.9");
    assertThat(body(append).path("markdown_text").asText()).isEqualTo(" two");
    d.enqueue(fin("s1", 1, "slack", "C1", slackRouting(), "m1#1", Reply.Kind.REPLY, "One two three"));
    RecordingServer.Call stop = api.next();
    assertThat(method(stop)).isEqualTo("chat.stopStream");
    assertThat(body(stop).path("markdown_text").asText()).isEqualTo(" three");
    assertThat(d.awaitIdle(Duration.ofSeconds(5))).isTrue();
    assertThat(api.calls).hasSize(3);
  }

  @Test
  void slackOffShowsOnlyTheFinalText() throws Exception {
    OutboundDelivery d = slack(SlackStreaming.OFF);
    assertThat(d.streams("slack")).isFalse();
    stream(d, "s1", "slack", "C1", slackRouting(), "m1#1", 0, "ignored");
    d.enqueue(fin("s1", 1, "slack", "C1", slackRouting(), "m1#1", Reply.Kind.REPLY, "final"));
    RecordingServer.Call post = api.next();
    assertThat(method(post)).isEqualTo("chat.postMessage");
    assertThat(body(post).path("text").asText()).isEqualTo("final");
    assertThat(d.awaitIdle(Duration.ofSeconds(5))).isTrue();
    assertThat(api.calls).hasSize(1);
  }

  @Test
  void discordEditsTheDeferredResponseThrottledAndTheFinalTextEditsItToo() throws Exception {
    OutboundDelivery d = delivery("discord", new DiscordChannel.Sender(new DiscordConfig(true, "a".repeat(64),
        "1100000000000000001", api.baseUrl(), 1000), http()));
    Map<String, String> routing = Map.of("token", "tok_en.1");
    stream(d, "s1", "discord", "D1", routing, "i1#1", 0, "Thinking");
    RecordingServer.Call p1 = api.next();
    assertThat(p1.method()).isEqualTo("PATCH");
    assertThat(p1.path()).isEqualTo("/webhooks/1100000000000000001/tok_en.1/messages/@original");
    assertThat(body(p1).path("content").asText()).isEqualTo("Thinking");
    stream(d, "s1", "discord", "D1", routing, "i1#1", 8, " hard");
    Clocks.awaitTimers(clock, 1);
    clock.advance(Duration.ofMillis(999));
    assertThat(api.calls).hasSize(1);
    clock.advance(Duration.ofMillis(1));
    assertThat(body(api.next()).path("content").asText()).isEqualTo("Thinking hard");
    d.enqueue(fin("s1", 1, "discord", "D1", routing, "i1#1", Reply.Kind.REPLY, "Done."));
    RecordingServer.Call fin = api.next();
    assertThat(fin.method()).isEqualTo("PATCH");
    assertThat(body(fin).path("content").asText()).isEqualTo("Done.");
    assertThat(d.awaitIdle(Duration.ofSeconds(5))).isTrue();
    assertThat(store.log).containsExactly("put i1#1 discord:@original", "remove i1#1");
  }

  @Test
  void onDiscordOnlyTheTurnsFirstStreamEditsTheResponseALaterOneIsAFollowUp() throws Exception {
    OutboundDelivery d = delivery("discord", new DiscordChannel.Sender(new DiscordConfig(true, "a".repeat(64),
        "1100000000000000001", api.baseUrl(), 1000), http()));
    Map<String, String> routing = Map.of("token", "tok_en.1");
    stream(d, "s1", "discord", "D1", routing, "i1#1", 0, "First");
    assertThat(api.next().method()).isEqualTo("PATCH");
    d.enqueue(fin("s1", 1, "discord", "D1", routing, "i1#1", Reply.Kind.REPLY, "First answer."));
    assertThat(api.next().method()).isEqualTo("PATCH");
    stream(d, "s1", "discord", "D1", routing, "i1#2", 0, "Second"); // no preview: it would overwrite the first
    d.enqueue(fin("s1", 2, "discord", "D1", routing, "i1#2", Reply.Kind.REPLY, "Second answer."));
    RecordingServer.Call second = api.next();
    assertThat(second.method()).isEqualTo("POST");
    assertThat(second.path()).isEqualTo("/webhooks/1100000000000000001/tok_en.1");
    assertThat(body(second).path("content").asText()).isEqualTo("Second answer.");
    assertThat(d.awaitIdle(Duration.ofSeconds(5))).isTrue();
    assertThat(api.calls).hasSize(3);
  }

  @Test
  void whatsAppIgnoresDeltasAndSendsTheFinalTextOnly() throws Exception {
    OutboundDelivery d = delivery("whatsapp", new WhatsAppChannel.Sender(new WhatsAppConfig(true, "verify",
        "app-secret", "access", api.baseUrl(), WhatsAppConfig.DEFAULT_MAX_MESSAGE_AGE_MS), http()));
    Map<String, String> routing = Map.of("phone_number_id", "555", "to", "4917");
    assertThat(d.streams("whatsapp")).isFalse();
    stream(d, "s1", "whatsapp", "4917", routing, "w1#1", 0, "not ", "shown");
    assertThat(d.lanes()).isZero(); // nothing kept for it
    d.enqueue(fin("s1", 1, "whatsapp", "4917", routing, "w1#1", Reply.Kind.REPLY, "final"));
    RecordingServer.Call c = api.next();
    assertThat(c.path()).isEqualTo("/555/messages");
    assertThat(body(c).path("text").path("body").asText()).isEqualTo("final");
    assertThat(d.awaitIdle(Duration.ofSeconds(5))).isTrue();
    assertThat(api.calls).hasSize(1);
  }
}
