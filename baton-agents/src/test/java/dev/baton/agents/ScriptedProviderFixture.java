package dev.baton.agents;

import dev.baton.agents.testing.ScriptedChatServer;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;

/**
 * An agent test against a scripted OpenAI-compatible server on a free loopback port, with a recording
 * scheduler (retries are timed by it, never by sleeping) and a turn deadline two minutes out. The server is
 * closed after each test.
 */
abstract class ScriptedProviderFixture {

  final ScriptedChatServer server = ScriptedChatServer.start();
  final RecordingScheduler scheduler = new RecordingScheduler();
  final Instant deadline = scheduler.now().plus(Duration.ofMinutes(2));

  @AfterEach
  final void stopServer() {
    server.close();
  }
}
