package dev.baton.cli.demo;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.cli.demo.HostileScenario.Attack;
import java.time.Duration;
import java.util.Optional;

/**
 * The hostile scenario's platform attacks: signed Telegram, Slack and WhatsApp webhooks that lie in the shapes the
 * platforms' own documents allow (a shared anonymous-admin id, one mention delivered twice, a captured body
 * replayed days later), judged on what the platform stand-in ({@link FakePlatform}) is asked to send.
 */
final class PlatformAttacks {

  private PlatformAttacks() {}

  /** Telegram's fixed {@code from.id} of anonymous group admins; the real sender is {@code sender_chat}. */
  static final long TELEGRAM_ANONYMOUS_ADMIN = 1087968824L;

  static void telegramAnonymousAdmins(HostileGateway gw, Attack a, FakePlatform tg, String secret)
      throws InterruptedException {
    long update = 1_000;
    String[] groups = {"-1001000000001", "-1001000000002"};
    for (String group : groups) {
      com.fasterxml.jackson.databind.node.ObjectNode u = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance
          .objectNode().put("update_id", ++update);
      var m = u.putObject("message").put("message_id", update).put("date", System.currentTimeMillis() / 1000)
          .put("text", "anonymous admin of " + group);
      m.putObject("from").put("id", TELEGRAM_ANONYMOUS_ADMIN).put("is_bot", true).put("first_name", "Group");
      m.putObject("sender_chat").put("id", Long.parseLong(group)).put("type", "supergroup").put("title", group);
      m.putObject("chat").put("id", Long.parseLong(group)).put("type", "supergroup").put("title", group);
      HostileGateway.Response r = gw.telegram(secret, u);
      a.check(r.status() == 200, "Telegram update " + update + " was answered " + r.describe());
      Optional<com.fasterxml.jackson.databind.JsonNode> sent = tg.await("chat_id", group, HostileScenario.REPLY_WAIT);
      a.check(sent.isPresent() && sent.get().path("text").asText().endsWith("(turn 1)"),
          "group " + group + "'s first message was answered "
              + sent.map(x -> "'" + x.path("text").asText() + "'").orElse("never")
              + (sent.isPresent() ? ": its anonymous admin shares one session with another group's" : ""));
    }
  }

  /**
   * Slack sends one user message that mentions the bot twice: as {@code message} and as {@code app_mention}, with
   * two event ids and one {@code ts}. It must run one turn and get one reply.
   */
  static void slackMentionTwice(HostileGateway gw, Attack a, FakePlatform slack, String secret)
      throws InterruptedException {
    String channel = "C0HOSTILE1";
    String ts = (System.currentTimeMillis() / 1000) + ".000100";
    for (String[] e : new String[][] {{"Ev0MESSAGE01", "message"}, {"Ev0MENTION01", "app_mention"}}) {
      com.fasterxml.jackson.databind.node.ObjectNode root = com.fasterxml.jackson.databind.node.JsonNodeFactory
          .instance.objectNode().put("type", "event_callback").put("event_id", e[0])
          .put("event_time", System.currentTimeMillis() / 1000).put("team_id", "T0DEMO");
      root.putObject("event").put("type", e[1]).put("user", "U0SLACKUSER").put("channel", channel)
          .put("text", "<@U0BATON> hello once").put("ts", ts);
      HostileGateway.Response r = gw.slack(secret, root);
      a.check(r.status() == 200, "Slack " + e[1] + " event was answered " + r.describe());
    }
    Optional<com.fasterxml.jackson.databind.JsonNode> first = slack.await("channel", channel, HostileScenario.REPLY_WAIT);
    a.check(first.isPresent(), "the Slack mention was never answered");
    Optional<com.fasterxml.jackson.databind.JsonNode> second = slack.await("channel", channel, Duration.ofMillis(1_500));
    a.check(second.isEmpty(), "one Slack mention was answered twice: '" + first.map(x -> x.path("text").asText())
        .orElse("") + "' and '" + second.map(x -> x.path("text").asText()).orElse("") + "'");
  }

  /** A WhatsApp text message from {@code from}, sent at {@code epochSeconds}. */
  private static com.fasterxml.jackson.databind.node.ObjectNode whatsappMessage(String id, String from,
      long epochSeconds, String text) {
    var root = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode()
        .put("object", "whatsapp_business_account");
    var value = root.putArray("entry").addObject().put("id", "WABA0").putArray("changes").addObject()
        .put("field", "messages").putObject("value").put("messaging_product", "whatsapp");
    value.putObject("metadata").put("display_phone_number", "15550000000").put("phone_number_id", "1055500000");
    var msg = value.putArray("messages").addObject().put("from", from).put("id", id)
        .put("timestamp", Long.toString(epochSeconds)).put("type", "text");
    msg.putObject("text").put("body", text);
    return root;
  }

  /** A signed message 3 days old must be acknowledged (200) and never run; a fresh one beside it is answered. */
  static void whatsappStale(HostileGateway gw, Attack a, FakePlatform wa, String secret)
      throws InterruptedException {
    long now = System.currentTimeMillis() / 1000;
    HostileGateway.Response stale = gw.whatsapp(secret,
        whatsappMessage("wamid.STALE0001", "15550000001", now - 3 * 86_400, "captured three days ago"));
    a.check(stale.status() == 200, "the stale WhatsApp message was answered " + stale.describe()
        + " (WhatsApp requires 200)");
    HostileGateway.Response fresh = gw.whatsapp(secret,
        whatsappMessage("wamid.FRESH0001", "15550000002", now, "fresh message"));
    a.check(fresh.status() == 200, "a fresh WhatsApp message was answered " + fresh.describe());
    Optional<com.fasterxml.jackson.databind.JsonNode> served = wa.await("to", "15550000002", HostileScenario.REPLY_WAIT);
    a.check(served.isPresent(), "an honest fresh WhatsApp message was never answered");
    Optional<com.fasterxml.jackson.databind.JsonNode> ran = wa.await("to", "15550000001", Duration.ofMillis(1_500));
    a.check(ran.isEmpty(), "a WhatsApp message 3 days old ran a turn: answered '"
        + ran.map(x -> x.path("text").path("body").asText()).orElse("") + "'");
  }

  // ---- logs and hostile input -----------------------------------------------------------------------------------
}
