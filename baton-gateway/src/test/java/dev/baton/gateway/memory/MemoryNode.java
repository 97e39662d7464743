package dev.baton.gateway.memory;

import dev.baton.Baton;
import dev.baton.IdSource;
import dev.baton.config.BatonConfig;
import dev.baton.config.ChannelsConfig;
import dev.baton.config.ServerConfig;
import dev.baton.config.SessionsConfig;
import dev.baton.config.StorageConfig;
import dev.baton.gateway.Gateway;
import dev.baton.gateway.ReplyRouter;
import dev.baton.gateway.support.Tokens;
import dev.baton.jdbc.SqliteStore;
import dev.baton.spi.Scheduler;
import dev.baton.spi.Store;
import dev.baton.spi.StoreStats;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * The real stack for {@link MemoryBoundsTest}, in its own JVM (started with {@code -Xmx256m
 * -XX:+ExitOnOutOfMemoryError}): SQLite store, engine with the echo agent, HTTP gateway on a free loopback
 * port, every P11 bound at its default. {@code MemoryNode <db>}; prints {@code PORT <n>} once recovered and
 * serving; on stdin {@code STATS} prints {@code STATS heap=<bytes after GC> journal=.. unfinished=..
 * undelivered=..}, {@code QUIT} stops it gracefully and prints {@code BYE}. Not a test.
 */
public final class MemoryNode {

  public static void main(String[] args) throws Exception {
    String db = args[0];
    Scheduler scheduler = Scheduler.system();
    BatonConfig d = BatonConfig.defaults();
    BatonConfig config = d
        .withServer(ServerConfig.defaults().withPort(0))
        .withStorage(StorageConfig.sqlite(db))
        // Chats select sessions, so a sprayed chat the token grants is a new session (the engine's bounds);
        // a chat it does not grant is 403 (the membership check).
        .withSessions(new SessionsConfig(SessionsConfig.Isolation.STRICT, SessionsConfig.Storage.PER_SESSION,
            IdSource.USER_AND_CHAT))
        .withChannels(d.channels().withApi(new ChannelsConfig.ApiChannelConfig(true,
            ChannelsConfig.JwtConfig.hs256(Tokens.SECRET), 1000)));
    Store store = SqliteStore.open(config.storage(), Duration.ofHours(1), scheduler);
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    ReplyRouter router = ReplyRouter.create(config, store, scheduler, meters);
    long t0 = System.nanoTime();
    Baton engine = Baton.builder().config(config).store(store).scheduler(scheduler).meterRegistry(meters)
        .replies(router).build(); // recovers before it returns
    long recoveryMs = (System.nanoTime() - t0) / 1_000_000;
    Gateway gateway = Gateway.builder(config).engine(engine).store(store).scheduler(scheduler)
        .meterRegistry(meters).replies(router).build().start();
    System.out.println("PORT " + gateway.port() + " recovery_ms=" + recoveryMs);
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    for (String line; (line = in.readLine()) != null; ) {
      if (line.equals("STATS")) {
        System.gc();
        Runtime rt = Runtime.getRuntime();
        StoreStats s = store.stats();
        System.out.println("STATS heap=" + (rt.totalMemory() - rt.freeMemory()) + " journal=" + s.journalEntries()
            + " unfinished=" + s.unfinished() + " undelivered=" + s.undeliveredReplies());
      } else if (line.equals("QUIT")) {
        gateway.stop(Duration.ofSeconds(5));
        store.close();
        System.out.println("BYE");
        return;
      }
    }
  }
}
