package dev.baton.gateway.internal;

import dev.baton.config.ChannelsConfig;
import java.util.HashMap;
import java.util.Map;

/** The outbound senders of the enabled platform channels, by channel name. */
final class Senders {
  private Senders() {}

  public static Map<String, OutboundDelivery.Sink> forEnabled(ChannelsConfig c, PlatformHttp http) {
    Map<String, OutboundDelivery.Sink> m = new HashMap<>();
    if (c.telegram().enabled()) m.put(TelegramChannel.NAME, new TelegramChannel.Sender(c.telegram(), http));
    if (c.slack().enabled()) m.put(SlackChannel.NAME, new SlackChannel.Sender(c.slack(), http));
    if (c.discord().enabled()) m.put(DiscordChannel.NAME, new DiscordChannel.Sender(c.discord(), http));
    if (c.whatsapp().enabled()) m.put(WhatsAppChannel.NAME, new WhatsAppChannel.Sender(c.whatsapp(), http));
    return m;
  }
}
