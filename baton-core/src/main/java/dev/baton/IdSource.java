package dev.baton;

/** What a session is keyed by ({@code sessions.id_source}). Always derived from authenticated fields. */
public enum IdSource {
  /** One session per authenticated user (default). */
  USER_ID,
  /** One session per chat: everyone in a group shares it. */
  CHAT_ID,
  /** One session per user per chat. */
  USER_AND_CHAT
}
