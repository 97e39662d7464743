package dev.baton.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.baton.config.StorageConfig;
import dev.baton.spi.Scheduler;
import dev.baton.spi.Store;
import dev.baton.spi.StoreException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import org.flywaydb.core.Flyway;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteDataSource;

/**
 * The embedded default: one SQLite file in WAL mode with {@code synchronous=FULL} (a commit is on disk when it
 * returns, and survives kill -9 and power loss), one group-commit writer connection and a small pool of readers.
 */
public final class SqliteStore {
  private SqliteStore() {}

  /** Opens (creating and migrating if needed) the store at {@code storage.path}, with background pruning. */
  public static Store open(StorageConfig storage, Duration dedupWindow, Scheduler scheduler) {
    JdbcStore store = openWithoutRetention(storage, scheduler);
    store.startRetention(new Retention(store, scheduler, dedupWindow,
        Duration.ofMillis(storage.pruneIntervalMs())));
    return store;
  }

  static JdbcStore openWithoutRetention(StorageConfig storage, Scheduler scheduler) {
    Path file = Path.of(storage.path()).toAbsolutePath();
    try {
      if (file.getParent() != null) Files.createDirectories(file.getParent());
    } catch (IOException e) {
      throw new StoreException("cannot create the directory of the SQLite database " + file + ": " + e.getMessage(), e);
    }
    String url = "jdbc:sqlite:" + file;
    CachingWriterDataSource writerSource;
    HikariDataSource readerPool;
    try {
      Flyway.configure().dataSource(sqlite(url)).locations(Dialect.SQLITE.migrations).load().migrate();
      writerSource = new CachingWriterDataSource(sqlite(url).getConnection());
    } catch (RuntimeException | SQLException e) {
      throw new StoreException("cannot open the SQLite database " + file + ": " + e.getMessage(), e);
    }
    try {
      readerPool = pool("baton-sqlite-reader", url, storage.poolSize());
    } catch (RuntimeException e) {
      closeQuietly(writerSource);
      throw new StoreException("cannot open the SQLite database " + file + ": " + e.getMessage(), e);
    }
    // One writer thread owns the one writer connection (the cache is confined to it).
    GroupCommitWriter writer = new GroupCommitWriter("baton-sqlite-writer", writerSource, Dialect.SQLITE, 1,
        storage.groupCommitMaxBatch(), storage.groupCommitMaxDelayUs() * 1_000);
    return new JdbcStore("sqlite:" + file, Dialect.SQLITE, readerPool, writer, () -> {
      readerPool.close();
      writerSource.close();
    }, storage.pruneBatch(), storage.maxTranscriptEntries(),
        storage.maxOutboxPerSession(), scheduler);
  }

  /** Connections in WAL mode with synchronous=FULL and a 10 s busy timeout. */
  private static SQLiteDataSource sqlite(String url) {
    SQLiteConfig sc = new SQLiteConfig();
    sc.setJournalMode(SQLiteConfig.JournalMode.WAL);
    sc.setSynchronous(SQLiteConfig.SynchronousMode.FULL);
    sc.setBusyTimeout(10_000);
    SQLiteDataSource ds = new SQLiteDataSource(sc);
    ds.setUrl(url);
    return ds;
  }

  private static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception ignored) {
      // already failing
    }
  }

  private static HikariDataSource pool(String name, String url, int size) {
    SQLiteDataSource ds = sqlite(url);
    HikariConfig hc = new HikariConfig();
    hc.setPoolName(name);
    hc.setDataSource(ds);
    hc.setMaximumPoolSize(size);
    hc.setMinimumIdle(1);
    hc.setAutoCommit(true);
    return new HikariDataSource(hc);
  }
}
