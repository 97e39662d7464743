package dev.baton.gateway.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.Reply;
import dev.baton.SessionKey;
import dev.baton.config.ChannelsConfig.DiscordConfig;
import dev.baton.config.ChannelsConfig.TelegramConfig;
import dev.baton.config.ChannelsConfig.WhatsAppConfig;
import dev.baton.gateway.support.RecordingServer;
import dev.baton.testing.ManualScheduler;
import java.time.Duration;
import java.util.Map;
import java.util.OptionalLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The senders check every routing value that becomes part of an outbound URL (or the chat it goes to) again,
 * so a reply stored before the webhook checked it (or by a buggy path) can never steer a request elsewhere.
 */
class OutboundPathSegmentsTest {

  static final String[] HOSTILE = {"../../x", "a/b?c", "%2e%2e", "", "1/../../users/@me"};
  final RecordingServer api = new RecordingServer();
  final PlatformHttp http = new PlatformHttp(Duration.ofSeconds(5), new ManualScheduler());

  @AfterEach
  void stop() {
    api.close();
  }

  static Reply reply(String channel, Map<String, String> routing) {
    return new Reply(new SessionKey(channel + ":u:1"), 1, channel, "1", "m1", Reply.Kind.REPLY, "hi",
        OptionalLong.empty(), routing);
  }

  @Test
  void hostileRoutingValuesFailWithoutARequest() {
    var telegram = new TelegramChannel.Sender(new TelegramConfig(true, "1:bot", "s".repeat(32), api.baseUrl()), http);
    var discord = new DiscordChannel.Sender(new DiscordConfig(true, "ab".repeat(32), "1100000000000000001",
        api.baseUrl()), http);
    var whatsapp = new WhatsAppChannel.Sender(new WhatsAppConfig(true, "v", "s", "t", api.baseUrl()), http);
    for (String bad : HOSTILE) {
      assertThat(telegram.send(reply("telegram", Map.of("chat_id", bad)))).as(bad).isInstanceOf(SendOutcome.Failed.class);
      assertThat(discord.send(reply("discord", Map.of("token", bad)))).as(bad).isInstanceOf(SendOutcome.Failed.class);
      assertThat(whatsapp.send(reply("whatsapp", Map.of("phone_number_id", bad, "to", "1"))))
          .as(bad).isInstanceOf(SendOutcome.Failed.class);
    }
    assertThat(api.calls).isEmpty();
  }

  @Test
  void aStoredApplicationIdInTheRoutingIsIgnored() throws Exception {
    var discord = new DiscordChannel.Sender(new DiscordConfig(true, "ab".repeat(32), "1100000000000000001",
        api.baseUrl()), http);
    assertThat(discord.send(reply("discord", Map.of("application_id", "../../users/@me", "token", "tok-1"))))
        .isEqualTo(SendOutcome.DELIVERED);
    assertThat(api.next().path()).isEqualTo("/webhooks/1100000000000000001/tok-1");
  }
}
