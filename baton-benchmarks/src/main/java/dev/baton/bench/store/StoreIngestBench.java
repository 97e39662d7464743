package dev.baton.bench.store;

import dev.baton.Admission;
import dev.baton.Baton;
import dev.baton.DedupKey;
import dev.baton.config.BatonConfig;
import dev.baton.config.ConcurrencyConfig;
import dev.baton.internal.agent.EchoAgent;
import dev.baton.InboundMessage;
import dev.baton.SessionKey;
import dev.baton.config.StorageConfig;
import dev.baton.jdbc.JdbcStore;
import dev.baton.jdbc.PostgresStore;
import dev.baton.jdbc.SqliteStore;
import dev.baton.spi.IngestResult;
import dev.baton.spi.JournalEntry;
import dev.baton.spi.Scheduler;
import dev.baton.spi.Store;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Durable ingest through Baton's stores beside the raw speed of the same database doing the same inserts
 * without Baton. A main-class harness rather than JMH: what is measured is throughput and tail latency of many
 * concurrent callers against a disk, over seconds, which JMH's per-invocation model does not fit.
 *
 * <pre>
 * java -cp baton-benchmarks/target/benchmarks.jar dev.baton.bench.store.StoreIngestBench [seconds] [runs] [clients]
 * </pre>
 *
 * For each backend: (1) raw, one row per commit, one thread; (2) raw, 100 rows per commit (JDBC batch), one
 * thread; (3) Baton {@code Store.ingest} from {@code clients} virtual threads (group commit). Every commit is
 * durable: SQLite WAL with synchronous=FULL; PostgreSQL with fsync=on, synchronous_commit=on.
 */
public final class StoreIngestBench {

  private static final String INSERT = "INSERT INTO journal (dedup_key, session, status, received_at, channel,"
      + " message_id, sender, chat, order_kind, order_value, text, sent_at, routing)"
      + " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (dedup_key) DO NOTHING";

  private static final AtomicLong ids = new AtomicLong();

  public static void main(String[] args) throws Exception {
    int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
    int runs = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    int clients = args.length > 2 ? Integer.parseInt(args[2]) : 256;
    Path base = Path.of(System.getProperty("bench.dir", "target")).toAbsolutePath();
    Files.createDirectories(base);
    Path dir = Files.createTempDirectory(base, "store-bench");
    System.out.printf("store ingest bench: %d s per run, %d runs, %d clients, %d cores, dir %s%n", seconds, runs,
        clients, Runtime.getRuntime().availableProcessors(), dir);

    List<Result> results = new ArrayList<>();
    String backends = System.getProperty("bench.backends", "sqlite,postgres");
    int pgWriters = Integer.getInteger("bench.pgWriters", 2);
    for (int r = 0; r < runs && backends.contains("sqlite"); r++) {
      Path db = dir.resolve("raw-" + r + ".db");
      SqliteStore.open(StorageConfig.sqlite(db.toString()), Duration.ofDays(1), Scheduler.system()).close();
      String url = "jdbc:sqlite:" + db;
      results.add(raw("sqlite raw 1/commit", () -> sqliteConn(url), 1, seconds));
      results.add(raw("sqlite raw 100/commit", () -> sqliteConn(url), 100, seconds));
      results.add(raw("sqlite raw 1000/commit", () -> sqliteConn(url), 1000, seconds));
      try (Store s = SqliteStore.open(StorageConfig.sqlite(dir.resolve("baton-" + r + ".db").toString()),
          Duration.ofDays(1), Scheduler.system())) {
        results.add(baton("sqlite baton ingest", s, clients, seconds));
      }
      try (Store s = SqliteStore.open(StorageConfig.sqlite(dir.resolve("engine-" + r + ".db").toString()),
          Duration.ofDays(1), Scheduler.system())) {
        results.add(engine("sqlite engine submit+turn", s, clients, seconds, null));
      }
    }
    if (backends.contains("postgres")) try (EmbeddedPostgres pg = EmbeddedPostgres.builder().setServerConfig("fsync", "on")
        .setServerConfig("synchronous_commit", "on").setServerConfig("max_connections", "300").start()) {
      for (int r = 0; r < runs && backends.contains("postgres"); r++) {
        String schema = "bench" + r;
        String url = pg.getJdbcUrl("postgres", "postgres") + "&currentSchema=" + schema;
        try (Connection c = DriverManager.getConnection(url, "postgres", ""); Statement st = c.createStatement()) {
          st.execute("CREATE SCHEMA " + schema);
        }
        StorageConfig cfg = StorageConfig.postgres(url, "postgres", "").withWriters(pgWriters);
        try (Store s = PostgresStore.open(cfg, Duration.ofDays(1), Scheduler.system())) {
          results.add(baton("postgres baton ingest", s, clients, seconds));
        }
        String schema2 = "engine" + r;
        String url2 = pg.getJdbcUrl("postgres", "postgres") + "&currentSchema=" + schema2;
        try (Connection c = DriverManager.getConnection(url2, "postgres", ""); Statement st = c.createStatement()) {
          st.execute("CREATE SCHEMA " + schema2);
        }
        try (Store s = PostgresStore.open(StorageConfig.postgres(url2, "postgres", "").withWriters(pgWriters),
            Duration.ofDays(1), Scheduler.system())) {
          results.add(engine("postgres engine submit+turn", s, clients, seconds, null));
        }
        // The same engine as one node of a cluster: a lease per active session, fenced commits, the journal
        // poll, and the lookup of older messages other nodes accepted (one read per submit).
        String schema3 = "cluster" + r;
        String url3 = pg.getJdbcUrl("postgres", "postgres") + "&currentSchema=" + schema3;
        try (Connection c = DriverManager.getConnection(url3, "postgres", ""); Statement st = c.createStatement()) {
          st.execute("CREATE SCHEMA " + schema3);
        }
        StorageConfig cfg3 = StorageConfig.postgres(url3, "postgres", "").withWriters(pgWriters)
            .withPoolSize(Integer.getInteger("bench.clusterPoolSize", 8));
        try (Store s = PostgresStore.open(cfg3, Duration.ofDays(1), Scheduler.system())) {
          results.add(engine("postgres engine cluster mode (1 node)", s, clients, seconds, cfg3));
        }
        results.add(raw("postgres raw 1/commit", () -> DriverManager.getConnection(url, "postgres", ""), 1, seconds));
        results.add(raw("postgres raw 100/commit", () -> DriverManager.getConnection(url, "postgres", ""), 100,
            seconds));
        results.add(raw("postgres raw 1000/commit", () -> DriverManager.getConnection(url, "postgres", ""), 1000,
            seconds));
      }
    }
    report(results);
  }

  interface ConnectionFactory {
    Connection open() throws Exception;
  }

  record Result(String name, double perSecond, double p50Ms, double p99Ms) {}

  private static Connection sqliteConn(String url) throws Exception {
    Connection c = DriverManager.getConnection(url);
    try (Statement s = c.createStatement()) {
      s.execute("PRAGMA journal_mode=WAL");
      s.execute("PRAGMA synchronous=FULL");
    }
    return c;
  }

  /** One thread inserting rows, {@code perCommit} per transaction, for {@code seconds}. */
  private static Result raw(String name, ConnectionFactory f, int perCommit, int seconds) throws Exception {
    try (Connection c = f.open(); PreparedStatement ps = c.prepareStatement(INSERT)) {
      c.setAutoCommit(false);
      long rows = 0;
      long[] lat = new long[1 << 20];
      int n = 0;
      long warmEnd = System.nanoTime() + 1_000_000_000L;
      long start = 0;
      long end = Long.MAX_VALUE;
      while (true) {
        long t0 = System.nanoTime();
        if (start == 0 && t0 >= warmEnd) {
          start = t0;
          end = t0 + seconds * 1_000_000_000L;
        }
        if (t0 >= end) break;
        for (int i = 0; i < perCommit; i++) {
          bind(ps, entry());
          ps.addBatch();
        }
        ps.executeBatch();
        c.commit();
        if (start != 0) {
          rows += perCommit;
          if (n < lat.length) lat[n++] = System.nanoTime() - t0;
        }
      }
      return result(name, rows, end - start, Arrays.copyOf(lat, n));
    }
  }

  /**
   * The whole engine on the store: {@code clients} virtual threads calling {@link Baton#submit} (dedup +
   * journal, durable before it returns) while the echo agent's turns commit through the same store. Reports
   * accepted messages/s and submit latency; prints turns completed.
   */
  private static Result engine(String name, Store store, int clients, int seconds,
      @org.jspecify.annotations.Nullable StorageConfig clusterOn) throws Exception {
    BatonConfig d = BatonConfig.defaults();
    if (clusterOn != null) d = d.withStorage(clusterOn).withCluster(dev.baton.config.ClusterConfig.node("bench"));
    ConcurrencyConfig c = d.agent().concurrency();
    BatonConfig config = d.withAgent(d.agent().withConcurrency(new ConcurrencyConfig(1, 64, 1_000_000, 600_000,
        ConcurrencyConfig.OverflowAction.REJECT, c.busyMessage(), ConcurrencyConfig.QueueMode.FOLLOWUP, 0,
        10_000_000))); // max_queued_total past what the run can queue: a busy refusal would end it (P11)
    AtomicLong turns = new AtomicLong();
    Baton baton = Baton.builder().config(config).store(store).agent(new EchoAgent())
        .replies(r -> turns.incrementAndGet()).build();
    try {
      long t0 = turns.get();
      Result r = measure(name, () -> baton.submit(entry().message()) instanceof Admission.Accepted, clients,
          seconds, (JdbcStore) store);
      System.out.printf(Locale.ROOT, "  (engine: %d turns committed during the run)%n", turns.get() - t0);
      return r;
    } finally {
      baton.shutdown(Duration.ofSeconds(2));
    }
  }

  /** {@code clients} virtual threads calling {@link Store#ingest} in a loop. */
  private static Result baton(String name, Store store, int clients, int seconds) throws Exception {
    return measure(name, () -> store.ingest(entry()) instanceof IngestResult.Inserted, clients, seconds,
        (JdbcStore) store);
  }

  /** {@code clients} virtual threads running {@code call} in a loop (it must return true); latency per call. */
  private static Result measure(String name, java.util.function.BooleanSupplier call, int clients, int seconds,
      JdbcStore jdbc) throws Exception {
    AtomicBoolean measuring = new AtomicBoolean();
    AtomicBoolean stop = new AtomicBoolean();
    long[][] lat = new long[clients][];
    int[] counts = new int[clients];
    CountDownLatch done = new CountDownLatch(clients);
    for (int i = 0; i < clients; i++) {
      int me = i;
      lat[me] = new long[1 << 16];
      Thread.ofVirtual().start(() -> {
        try {
          while (!stop.get()) {
            long t0 = System.nanoTime();
            if (!call.getAsBoolean()) throw new AssertionError(name + ": not accepted");
            long t = System.nanoTime() - t0;
            if (measuring.get()) {
              if (counts[me] == lat[me].length) lat[me] = Arrays.copyOf(lat[me], lat[me].length * 2);
              lat[me][counts[me]++] = t;
            }
          }
        } finally {
          done.countDown();
        }
      });
    }
    Thread.sleep(1_000); // warm-up (a benchmark, not a test)
    var before = jdbc.groupCommitStats();
    measuring.set(true);
    long start = System.nanoTime();
    Thread.sleep(seconds * 1_000L);
    measuring.set(false);
    long elapsed = System.nanoTime() - start;
    var after = jdbc.groupCommitStats();
    System.out.printf(Locale.ROOT, "  (group commit: %.0f writes per transaction)%n",
        (after.writes() - before.writes()) / (double) Math.max(1, after.transactions() - before.transactions()));
    stop.set(true);
    done.await();
    long total = 0;
    for (int c : counts) total += c;
    long[] all = new long[(int) total];
    int k = 0;
    for (int i = 0; i < clients; i++) {
      System.arraycopy(lat[i], 0, all, k, counts[i]);
      k += counts[i];
    }
    return result(name, total, elapsed, all);
  }

  private static Result result(String name, long rows, long nanos, long[] lat) {
    Arrays.sort(lat);
    double p50 = lat.length == 0 ? 0 : lat[(int) (lat.length * 0.50)] / 1e6;
    double p99 = lat.length == 0 ? 0 : lat[Math.min(lat.length - 1, (int) (lat.length * 0.99))] / 1e6;
    Result r = new Result(name, rows * 1e9 / nanos, p50, p99);
    System.out.printf(Locale.ROOT, "  %-26s %10.0f rows/s  p50 %7.2f ms  p99 %7.2f ms%n", name, r.perSecond(), p50, p99);
    return r;
  }

  private static void report(List<Result> results) {
    System.out.println();
    System.out.println("| measurement | rows (messages)/s, median | p50 ms | p99 ms |");
    System.out.println("|---|---:|---:|---:|");
    List<String> names = results.stream().map(Result::name).distinct().toList();
    for (String n : names) {
      List<Result> rs = results.stream().filter(r -> r.name().equals(n)).toList();
      System.out.printf(Locale.ROOT, "| %s | %.0f | %.2f | %.2f |%n", n, median(rs, Result::perSecond),
          median(rs, Result::p50Ms), median(rs, Result::p99Ms));
    }
    for (String db : List.of("sqlite", "postgres")) {
      double baton = median(results.stream().filter(r -> r.name().equals(db + " baton ingest")).toList(), Result::perSecond);
      double raw1 = median(results.stream().filter(r -> r.name().equals(db + " raw 1/commit")).toList(), Result::perSecond);
      double raw100 = median(results.stream().filter(r -> r.name().equals(db + " raw 100/commit")).toList(), Result::perSecond);
      double raw1000 = median(results.stream().filter(r -> r.name().equals(db + " raw 1000/commit")).toList(), Result::perSecond);
      System.out.printf(Locale.ROOT, "%s: baton / raw 1000-per-commit = %.2f, baton / raw 100-per-commit = %.2f,"
          + " baton / raw 1-per-commit = %.1f%n", db, baton / raw1000, baton / raw100, baton / raw1);
    }
  }

  private static double median(List<Result> rs, java.util.function.ToDoubleFunction<Result> f) {
    double[] v = rs.stream().mapToDouble(f).sorted().toArray();
    return v.length == 0 ? 0 : v[v.length / 2];
  }

  private static final Instant SENT = Instant.parse("2026-11-27T00:00:00Z");

  private static JournalEntry entry() {
    long id = ids.incrementAndGet();
    String user = "user-" + (id % 1000);
    InboundMessage m = InboundMessage.of("bench", Long.toString(id), user, "hello there, message " + id, SENT);
    return new JournalEntry(new DedupKey("bench:" + id), new SessionKey("bench:u:" + user), m, SENT);
  }

  private static void bind(PreparedStatement ps, JournalEntry e) throws Exception {
    InboundMessage m = e.message();
    ps.setString(1, e.key().value());
    ps.setString(2, e.session().value());
    ps.setString(3, "RECEIVED");
    ps.setLong(4, e.receivedAt().getEpochSecond() * 1_000_000_000L);
    ps.setString(5, m.channel());
    ps.setString(6, m.messageId());
    ps.setString(7, m.sender());
    ps.setString(8, m.chat());
    ps.setString(9, "none");
    ps.setLong(10, 0);
    ps.setString(11, m.text());
    ps.setLong(12, m.sentAt().getEpochSecond() * 1_000_000_000L);
    ps.setString(13, "");
  }
}
