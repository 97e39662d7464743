package dev.baton;

import java.time.Instant;
import java.util.List;

/** A session's conversation, oldest first. Appends are staged and commit with the turn. */
public interface Transcript {

  enum Role { USER, ASSISTANT, TOOL, SYSTEM }

  record Entry(Role role, String text, Instant at) {}

  List<Entry> entries();

  void append(Role role, String text);
}
