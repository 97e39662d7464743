package dev.baton.config;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * {@code channels:} the HTTP message API, the chat platforms and how replies are delivered to them. Each
 * platform has its own {@code api_base_url} so that tests (and proxies) can point it elsewhere. Secrets are
 * masked by {@code toString}; give them as {@code ${ENV_NAME}}.
 */
public record ChannelsConfig(
    @Doc("The HTTP message API (`POST /v1/messages`, `GET /v1/replies`, `GET /v1/events`, `POST /v1/cancel`).")
        ApiChannelConfig api,
    @Doc("Telegram bot webhook (`POST /webhooks/telegram`).") TelegramConfig telegram,
    @Doc("Slack Events API (`POST /webhooks/slack`).") SlackConfig slack,
    @Doc("Discord interactions endpoint (`POST /webhooks/discord`).") DiscordConfig discord,
    @Doc("WhatsApp Cloud API webhook (`GET`/`POST /webhooks/whatsapp`).") WhatsAppConfig whatsapp,
    @Doc("Outbound reply delivery to the platforms: retries and backoff.") DeliveryConfig delivery) {

  public ChannelsConfig {
    Objects.requireNonNull(api, "api");
    Objects.requireNonNull(telegram, "telegram");
    Objects.requireNonNull(slack, "slack");
    Objects.requireNonNull(discord, "discord");
    Objects.requireNonNull(whatsapp, "whatsapp");
    Objects.requireNonNull(delivery, "delivery");
  }

  public static ChannelsConfig defaults() {
    return new ChannelsConfig(ApiChannelConfig.defaults(), TelegramConfig.defaults(), SlackConfig.defaults(),
        DiscordConfig.defaults(), WhatsAppConfig.defaults(), DeliveryConfig.defaults());
  }

  public ChannelsConfig withApi(ApiChannelConfig a) {
    return new ChannelsConfig(a, telegram, slack, discord, whatsapp, delivery);
  }

  public ChannelsConfig withTelegram(TelegramConfig t) {
    return new ChannelsConfig(api, t, slack, discord, whatsapp, delivery);
  }

  public ChannelsConfig withSlack(SlackConfig s) {
    return new ChannelsConfig(api, telegram, s, discord, whatsapp, delivery);
  }

  public ChannelsConfig withDiscord(DiscordConfig d) {
    return new ChannelsConfig(api, telegram, slack, d, whatsapp, delivery);
  }

  public ChannelsConfig withWhatsapp(WhatsAppConfig w) {
    return new ChannelsConfig(api, telegram, slack, discord, w, delivery);
  }

  public ChannelsConfig withDelivery(DeliveryConfig d) {
    return new ChannelsConfig(api, telegram, slack, discord, whatsapp, d);
  }

  /** {@code channels.api:} */
  public record ApiChannelConfig(
      @Doc("Whether `POST /v1/messages`, `GET /v1/replies`, `GET /v1/events` and `POST /v1/cancel` are served.") boolean enabled,
      @Doc("How bearer tokens (JWT) are verified.") JwtConfig jwt,
      @Doc("How many unacknowledged replies are kept per user for `GET /v1/replies` and `GET /v1/events`; beyond it the oldest is"
          + " dropped and marked delivered in the store (P11).") int replyBuffer,
      @Doc("Chats the configuration declares: chat id → the users (token `sub`s) who are its members. A user"
          + " may name a `chat` only when it is listed here for them or in their token's chats claim"
          + " (`jwt.chats_claim`); any other chat is `403 forbidden`.") Map<String, List<String>> chats,
      @Doc("Long polls (`GET /v1/replies` with `wait_ms` > 0) one user may have waiting at once (P11); one more"
          + " is answered 429 at once.") int maxPollsPerUser,
      @Doc("Open `GET /v1/events` streams one user may have at once (P11); one more is answered 429.")
          int maxEventStreamsPerUser,
      @Doc("An idle `GET /v1/events` stream gets a comment line this often (ms), so proxies keep it open.")
          long eventHeartbeatMs) {
    public static final int DEFAULT_MAX_EVENT_STREAMS_PER_USER = 4;
    public static final long DEFAULT_EVENT_HEARTBEAT_MS = 15_000;

    /** With the default event-stream keys. */
    public ApiChannelConfig(boolean enabled, JwtConfig jwt, int replyBuffer, Map<String, List<String>> chats,
        int maxPollsPerUser) {
      this(enabled, jwt, replyBuffer, chats, maxPollsPerUser, DEFAULT_MAX_EVENT_STREAMS_PER_USER,
          DEFAULT_EVENT_HEARTBEAT_MS);
    }

    public ApiChannelConfig {
      Checks.positive("channels.api.max_event_streams_per_user", maxEventStreamsPerUser);
      Checks.positive("channels.api.event_heartbeat_ms", eventHeartbeatMs);
      Objects.requireNonNull(jwt, "jwt");
      Checks.positive("channels.api.reply_buffer", replyBuffer);
      Checks.positive("channels.api.max_polls_per_user", maxPollsPerUser);
      Map<String, List<String>> copy = new LinkedHashMap<>();
      chats.forEach((chat, members) -> {
        if (chat.isEmpty() || chat.length() > 256) {
          throw new IllegalArgumentException("channels.api.chats: a chat id must have 1 to 256 characters");
        }
        copy.put(chat, List.copyOf(members));
      });
      chats = Collections.unmodifiableMap(copy);
    }

    public static final int DEFAULT_MAX_POLLS_PER_USER = 4;

    /** Without declared chats and with the default {@code max_polls_per_user}. */
    public ApiChannelConfig(boolean enabled, JwtConfig jwt, int replyBuffer) {
      this(enabled, jwt, replyBuffer, Map.of(), DEFAULT_MAX_POLLS_PER_USER);
    }

    /** Without declared chats. */
    public ApiChannelConfig(boolean enabled, JwtConfig jwt, int replyBuffer, int maxPollsPerUser) {
      this(enabled, jwt, replyBuffer, Map.of(), maxPollsPerUser);
    }

    /** With the default {@code max_polls_per_user}. */
    public ApiChannelConfig(boolean enabled, JwtConfig jwt, int replyBuffer, Map<String, List<String>> chats) {
      this(enabled, jwt, replyBuffer, chats, DEFAULT_MAX_POLLS_PER_USER);
    }

    public static ApiChannelConfig defaults() {
      return new ApiChannelConfig(true, JwtConfig.defaults(), 1000, Map.of(), DEFAULT_MAX_POLLS_PER_USER);
    }

    public ApiChannelConfig withJwt(JwtConfig j) {
      return new ApiChannelConfig(enabled, j, replyBuffer, chats, maxPollsPerUser, maxEventStreamsPerUser,
          eventHeartbeatMs);
    }

    public ApiChannelConfig withChats(Map<String, List<String>> c) {
      return new ApiChannelConfig(enabled, jwt, replyBuffer, c, maxPollsPerUser, maxEventStreamsPerUser,
          eventHeartbeatMs);
    }

    /** Whether the configuration makes {@code user} a member of {@code chat}. */
    public boolean declaresMember(String chat, String user) {
      List<String> members = chats.get(chat);
      return members != null && members.contains(user);
    }
  }

  /**
   * {@code channels.api.jwt:} exactly one way of verifying tokens must be given when the API is enabled: an
   * HS256 secret, a PEM public key file (RS256/ES256) or a JWKS file.
   */
  public record JwtConfig(
      @Secret @Doc("HS256 shared secret (at least 32 bytes). Use `${ENV_NAME}`.") String hs256Secret,
      @Doc("Path of a PEM public key (RSA for RS256, EC P-256 for ES256).") String publicKeyFile,
      @Doc("Path of a JWKS file with the public keys (RS256/ES256), chosen by `kid`.") String jwksFile,
      @Doc("Required `iss` claim; empty = not checked.") String issuer,
      @Doc("Required `aud` claim; empty = not checked.") String audience,
      @Doc("Tolerated clock skew for `exp`/`nbf`, in seconds.") int clockSkewSeconds,
      @Doc("Name of the claim that lists the chats a user may speak in (a JSON array of chat ids, at most"
          + " 1000 of 1 to 256 characters each).") String chatsClaim) {
    public JwtConfig {
      Objects.requireNonNull(chatsClaim, "chats_claim");
      if (chatsClaim.isBlank()) throw new IllegalArgumentException("channels.api.jwt.chats_claim must not be empty");
      Objects.requireNonNull(hs256Secret, "hs256_secret");
      Objects.requireNonNull(publicKeyFile, "public_key_file");
      Objects.requireNonNull(jwksFile, "jwks_file");
      Objects.requireNonNull(issuer, "issuer");
      Objects.requireNonNull(audience, "audience");
      Checks.nonNegative("channels.api.jwt.clock_skew_seconds", clockSkewSeconds);
      int given = (hs256Secret.isEmpty() ? 0 : 1) + (publicKeyFile.isEmpty() ? 0 : 1) + (jwksFile.isEmpty() ? 0 : 1);
      if (given > 1) {
        throw new IllegalArgumentException(
            "channels.api.jwt: give only one of hs256_secret, public_key_file and jwks_file");
      }
      if (!hs256Secret.isEmpty() && hs256Secret.getBytes(java.nio.charset.StandardCharsets.UTF_8).length < 32) {
        throw new IllegalArgumentException("channels.api.jwt.hs256_secret must be at least 32 bytes long");
      }
    }

    public static JwtConfig defaults() {
      return new JwtConfig("", "", "", "", "", 0, "chats");
    }

    public static JwtConfig hs256(String secret) {
      return new JwtConfig(secret, "", "", "", "", 0, "chats");
    }

    @Override
    public String toString() {
      return "JwtConfig[hs256Secret=" + Secrets.mask(hs256Secret) + ", publicKeyFile=" + publicKeyFile
          + ", jwksFile=" + jwksFile + ", issuer=" + issuer + ", audience=" + audience
          + ", clockSkewSeconds=" + clockSkewSeconds + "]";
    }
  }

  /** {@code channels.telegram:} */
  public record TelegramConfig(
      @Doc("Whether `POST /webhooks/telegram` is served. Off unless `true`, also when the section gives"
          + " the channel's keys (`config check` warns).") boolean enabled,
      @Secret @Doc("Bot token from @BotFather, used for `sendMessage`. Use `${ENV_NAME}`.") String botToken,
      @Secret @Doc("The `secret_token` given to `setWebhook`; requests must carry it in"
          + " `X-Telegram-Bot-Api-Secret-Token`. 32-256 characters of A-Z, a-z, 0-9, `_` and `-` (e.g."
          + " `openssl rand -hex 32`). Use `${ENV_NAME}`.") String secretToken,
      @Doc("Base URL of the Bot API.") String apiBaseUrl,
      @Doc("Streaming (P10): the shortest time between two preview updates of one chat (`sendMessageDraft` in"
          + " private chats, `editMessageText` elsewhere), in ms; partial text in between is merged.")
          long streamEditIntervalMs) {
    public static final long DEFAULT_STREAM_EDIT_INTERVAL_MS = 1000;

    /** With the default {@code stream_edit_interval_ms}. */
    public TelegramConfig(boolean enabled, String botToken, String secretToken, String apiBaseUrl) {
      this(enabled, botToken, secretToken, apiBaseUrl, DEFAULT_STREAM_EDIT_INTERVAL_MS);
    }

    /** The shortest secret token accepted: a guessable token lets anyone post updates as Telegram. */
    public static final int MIN_SECRET_BYTES = 32;

    public TelegramConfig {
      Objects.requireNonNull(botToken, "bot_token");
      Objects.requireNonNull(secretToken, "secret_token");
      Objects.requireNonNull(apiBaseUrl, "api_base_url");
      Checks.positive("stream_edit_interval_ms", streamEditIntervalMs);
      if (enabled) checkSecretToken(secretToken);
    }

    private static void checkSecretToken(String secret) {
      if (secret.isEmpty()) {
        throw new IllegalArgumentException("secret_token is required when telegram is enabled");
      }
      if (secret.length() > 256) {
        throw new IllegalArgumentException("secret_token must be at most 256 characters (Telegram's limit)");
      }
      for (int i = 0; i < secret.length(); i++) {
        char ch = secret.charAt(i);
        boolean ok = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_'
            || ch == '-';
        if (!ok) {
          throw new IllegalArgumentException(
              "secret_token may hold only A-Z, a-z, 0-9, `_` and `-` (Telegram's rule for setWebhook)");
        }
      }
      if (secret.length() < MIN_SECRET_BYTES) { // ASCII only by now: characters are bytes
        throw new IllegalArgumentException("secret_token must be at least " + MIN_SECRET_BYTES
            + " bytes long, was " + secret.length() + "; generate one with `openssl rand -hex 32`");
      }
    }

    public static TelegramConfig defaults() {
      return new TelegramConfig(false, "", "", "https://api.telegram.org");
    }

    @Override
    public String toString() {
      return "TelegramConfig[enabled=" + enabled + ", botToken=" + Secrets.mask(botToken) + ", secretToken="
          + Secrets.mask(secretToken) + ", apiBaseUrl=" + apiBaseUrl + ", streamEditIntervalMs="
          + streamEditIntervalMs + "]";
    }
  }

  /** {@code channels.slack:} */
  public record SlackConfig(
      @Doc("Whether `POST /webhooks/slack` is served. Off unless `true`, also when the section gives"
          + " the channel's keys (`config check` warns).") boolean enabled,
      @Secret @Doc("The app's signing secret (request signatures v0). Use `${ENV_NAME}`.") String signingSecret,
      @Secret @Doc("Bot token (`xoxb-...`) used for `chat.postMessage`. Use `${ENV_NAME}`.") String botToken,
      @Doc("Base URL of the Web API.") String apiBaseUrl,
      @Doc("How partial text of a turn reaches Slack (P10): `native` (`chat.startStream`, `chat.appendStream`,"
          + " `chat.stopStream`, in the thread of the user's message), `edit` (`chat.postMessage`, then"
          + " `chat.update` at most once per `stream_edit_interval_ms`) or `off` (the final text only).")
          SlackStreaming streaming,
      @Doc("Streaming (P10): the shortest time between two updates of one streamed message, in ms; partial"
          + " text in between is merged.") long streamEditIntervalMs) {
    /** How a Slack reply is streamed. */
    public enum SlackStreaming { NATIVE, EDIT, OFF }

    /** With the default streaming (`edit`, once a second). */
    public SlackConfig(boolean enabled, String signingSecret, String botToken, String apiBaseUrl) {
      this(enabled, signingSecret, botToken, apiBaseUrl, SlackStreaming.EDIT, TelegramConfig.DEFAULT_STREAM_EDIT_INTERVAL_MS);
    }

    public SlackConfig {
      Objects.requireNonNull(streaming, "streaming");
      Checks.positive("stream_edit_interval_ms", streamEditIntervalMs);
      Objects.requireNonNull(signingSecret, "signing_secret");
      Objects.requireNonNull(botToken, "bot_token");
      Objects.requireNonNull(apiBaseUrl, "api_base_url");
      if (enabled && signingSecret.isEmpty()) {
        throw new IllegalArgumentException("channels.slack.signing_secret is required when slack is enabled");
      }
    }

    public static SlackConfig defaults() {
      return new SlackConfig(false, "", "", "https://slack.com/api");
    }

    @Override
    public String toString() {
      return "SlackConfig[enabled=" + enabled + ", signingSecret=" + Secrets.mask(signingSecret) + ", botToken="
          + Secrets.mask(botToken) + ", apiBaseUrl=" + apiBaseUrl + ", streaming=" + streaming
          + ", streamEditIntervalMs=" + streamEditIntervalMs + "]";
    }
  }

  /** {@code channels.discord:} */
  public record DiscordConfig(
      @Doc("Whether `POST /webhooks/discord` is served. Off unless `true`, also when the section gives"
          + " the channel's keys (`config check` warns).") boolean enabled,
      @Doc("The application's public key (64 hex digits, Ed25519) from the developer portal.") String publicKey,
      @Doc("The application id (a snowflake: 1-20 digits), used for follow-up messages. Only this value"
          + " goes into the follow-up URL, never the `application_id` of a payload.") String applicationId,
      @Doc("Base URL of the Discord API.") String apiBaseUrl,
      @Doc("Streaming (P10): the shortest time between two edits of the deferred response"
          + " (`PATCH .../messages/@original`), in ms; partial text in between is merged.")
          long streamEditIntervalMs) {
    /** With the default {@code stream_edit_interval_ms}. */
    public DiscordConfig(boolean enabled, String publicKey, String applicationId, String apiBaseUrl) {
      this(enabled, publicKey, applicationId, apiBaseUrl, TelegramConfig.DEFAULT_STREAM_EDIT_INTERVAL_MS);
    }

    public DiscordConfig {
      Checks.positive("stream_edit_interval_ms", streamEditIntervalMs);
      Objects.requireNonNull(publicKey, "public_key");
      Objects.requireNonNull(applicationId, "application_id");
      Objects.requireNonNull(apiBaseUrl, "api_base_url");
      if (enabled && !publicKey.matches("[0-9a-fA-F]{64}")) {
        throw new IllegalArgumentException("channels.discord.public_key must be 64 hex digits");
      }
      if (enabled && !applicationId.matches("[0-9]{1,20}")) {
        throw new IllegalArgumentException(
            "application_id must be the application's id, 1-20 digits, when discord is enabled");
      }
    }

    public static DiscordConfig defaults() {
      return new DiscordConfig(false, "", "", "https://discord.com/api/v10");
    }
  }

  /** {@code channels.whatsapp:} */
  public record WhatsAppConfig(
      @Doc("Whether `GET`/`POST /webhooks/whatsapp` are served. Off unless `true`, also when the section"
          + " gives the channel's keys (`config check` warns).") boolean enabled,
      @Secret @Doc("The verify token you chose when registering the webhook. Use `${ENV_NAME}`.") String verifyToken,
      @Secret @Doc("The app secret, for `X-Hub-Signature-256`. Use `${ENV_NAME}`.") String appSecret,
      @Secret @Doc("Access token used to send messages. Use `${ENV_NAME}`.") String accessToken,
      @Doc("Base URL of the Graph API, with its version.") String apiBaseUrl,
      @Doc("Messages whose `timestamp` is older than this (ms, by Baton's clock) are acknowledged with 200 and"
          + " not run, so a captured signed body cannot run again once its dedup record is gone. Counted in"
          + " `baton_gateway_stale_messages_total`.") long maxMessageAgeMs) {
    /** The default of {@code max_message_age_ms}: 24 hours. */
    public static final long DEFAULT_MAX_MESSAGE_AGE_MS = 86_400_000L;

    public WhatsAppConfig {
      Objects.requireNonNull(verifyToken, "verify_token");
      Objects.requireNonNull(appSecret, "app_secret");
      Objects.requireNonNull(accessToken, "access_token");
      Objects.requireNonNull(apiBaseUrl, "api_base_url");
      Checks.positive("max_message_age_ms", maxMessageAgeMs);
      if (enabled && (appSecret.isEmpty() || verifyToken.isEmpty())) {
        throw new IllegalArgumentException(
            "channels.whatsapp.app_secret and verify_token are required when whatsapp is enabled");
      }
    }

    /** With the default {@code max_message_age_ms}. */
    public WhatsAppConfig(boolean enabled, String verifyToken, String appSecret, String accessToken,
        String apiBaseUrl) {
      this(enabled, verifyToken, appSecret, accessToken, apiBaseUrl, DEFAULT_MAX_MESSAGE_AGE_MS);
    }

    public static WhatsAppConfig defaults() {
      return new WhatsAppConfig(false, "", "", "", "https://graph.facebook.com/v21.0");
    }

    public WhatsAppConfig withMaxMessageAgeMs(long ms) {
      return new WhatsAppConfig(enabled, verifyToken, appSecret, accessToken, apiBaseUrl, ms);
    }

    @Override
    public String toString() {
      return "WhatsAppConfig[enabled=" + enabled + ", verifyToken=" + Secrets.mask(verifyToken) + ", appSecret="
          + Secrets.mask(appSecret) + ", accessToken=" + Secrets.mask(accessToken) + ", apiBaseUrl=" + apiBaseUrl
          + ", maxMessageAgeMs=" + maxMessageAgeMs + "]";
    }
  }

  /** {@code channels.delivery:} retries of outbound replies (5xx, 429 and network errors). */
  public record DeliveryConfig(
      @Doc("Attempts per reply before giving up (counted in `baton_gateway_delivery_failed_total`).")
          int maxAttempts,
      @Doc("First retry delay in milliseconds; doubles per attempt. A `Retry-After` header wins.")
          long initialBackoffMs,
      @Doc("Longest delay between two attempts, in milliseconds.") long maxBackoffMs,
      @Doc("Timeout of one outbound HTTP call, in milliseconds.") long requestTimeoutMs) {
    public DeliveryConfig {
      Checks.positive("channels.delivery.max_attempts", maxAttempts);
      Checks.nonNegative("channels.delivery.initial_backoff_ms", initialBackoffMs);
      Checks.nonNegative("channels.delivery.max_backoff_ms", maxBackoffMs);
      Checks.positive("channels.delivery.request_timeout_ms", requestTimeoutMs);
    }

    public static DeliveryConfig defaults() {
      return new DeliveryConfig(6, 500, 30_000, 10_000);
    }
  }
}
