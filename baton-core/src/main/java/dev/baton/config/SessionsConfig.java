package dev.baton.config;

import dev.baton.IdSource;
import java.util.Objects;

/** {@code sessions:} — the guide's keys, verbatim. */
public record SessionsConfig(
    @Doc("`strict`: never share context between sessions (the only value; kept for the guide's snippets).")
        Isolation isolation,
    @Doc("`per_session`: each session gets its own storage namespace (the only value).") Storage storage,
    @Doc("What a session is keyed by, always from authenticated fields: `user_id`, `chat_id` (a group shares"
        + " one session) or `user_and_chat`.") IdSource idSource,
    @Doc("Sessions with work (held, queued, running or committing) that one sender of one channel may have at"
        + " once (P11). A message that would open one more is refused as busy (API: 429) with nothing stored.")
        int maxLivePerUser) {

  public enum Isolation { STRICT }

  public enum Storage { PER_SESSION }

  public SessionsConfig {
    Objects.requireNonNull(isolation, "isolation");
    Objects.requireNonNull(storage, "storage");
    Objects.requireNonNull(idSource, "id_source");
    Checks.positive("max_live_per_user", maxLivePerUser);
  }

  public static final int DEFAULT_MAX_LIVE_PER_USER = 16;

  /** The guide's three keys; {@code max_live_per_user} takes its default. */
  public SessionsConfig(Isolation isolation, Storage storage, IdSource idSource) {
    this(isolation, storage, idSource, DEFAULT_MAX_LIVE_PER_USER);
  }

  public SessionsConfig withMaxLivePerUser(int n) {
    return new SessionsConfig(isolation, storage, idSource, n);
  }

  public static SessionsConfig defaults() {
    return new SessionsConfig(Isolation.STRICT, Storage.PER_SESSION, IdSource.USER_ID);
  }
}
