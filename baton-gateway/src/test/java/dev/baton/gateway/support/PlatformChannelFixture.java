package dev.baton.gateway.support;

import dev.baton.config.ChannelsConfig;
import dev.baton.testing.ManualScheduler;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * A platform channel's test: a gateway whose channel section the subclass gives, in front of a {@link FakeEngine}
 * on a {@link RecordingStore}, and a {@link RecordingServer} standing in for the platform's API. Started before
 * each test on a free port and closed after it.
 */
public abstract class PlatformChannelFixture {

  protected final ManualScheduler clock = newClock();
  protected RecordingServer api;
  protected Harness h;
  protected FakeEngine engine;

  /** The clock the gateway runs on (platforms that date their messages want a fixed instant). */
  protected ManualScheduler newClock() {
    return new ManualScheduler();
  }

  /** {@code channels} with this test's platform section enabled, its API at {@code apiBaseUrl}. */
  protected abstract ChannelsConfig channels(ChannelsConfig channels, String apiBaseUrl);

  @BeforeEach
  final void startGateway() {
    api = new RecordingServer();
    h = new Harness(clock, new RecordingStore(), c -> c.withChannels(channels(c.channels(), api.baseUrl())),
        FakeEngine::new);
    engine = (FakeEngine) h.engine;
  }

  @AfterEach
  final void stopGateway() {
    h.close();
    api.close();
  }
}
