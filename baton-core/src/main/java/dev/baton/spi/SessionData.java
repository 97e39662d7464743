package dev.baton.spi;

import dev.baton.Transcript;
import java.util.List;
import java.util.Map;

/** A session's committed state, transcript, and the {@code outboxSeq} its last reply got (0 if none). */
public record SessionData(Map<String, String> state, List<Transcript.Entry> transcript, long lastOutboxSeq) {

  public SessionData {
    state = Map.copyOf(state);
    transcript = List.copyOf(transcript);
  }

  public static SessionData empty() {
    return new SessionData(Map.of(), List.of(), 0);
  }
}
