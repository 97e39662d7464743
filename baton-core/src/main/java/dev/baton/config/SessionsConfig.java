package dev.baton.config;

import dev.baton.IdSource;
import java.util.Objects;

/** {@code sessions:} — the guide's keys, verbatim. */
public record SessionsConfig(
    @Doc("`strict`: never share context between sessions (the only value; kept for the guide's snippets).")
        Isolation isolation,
    @Doc("`per_session`: each session gets its own storage namespace (the only value).") Storage storage,
    @Doc("What a session is keyed by, always from authenticated fields: `user_id`, `chat_id` (a group shares"
        + " one session) or `user_and_chat`.") IdSource idSource) {

  public enum Isolation { STRICT }

  public enum Storage { PER_SESSION }

  public SessionsConfig {
    Objects.requireNonNull(isolation, "isolation");
    Objects.requireNonNull(storage, "storage");
    Objects.requireNonNull(idSource, "id_source");
  }

  public static SessionsConfig defaults() {
    return new SessionsConfig(Isolation.STRICT, Storage.PER_SESSION, IdSource.USER_ID);
  }
}
