package dev.baton.bench.engine;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * Bytes of heap per idle session: {@code N} sessions each receive one message, the engine goes idle, and the
 * retained heap growth is divided by {@code N}. Counts everything Baton keeps per session after its turn
 * (engine structures, the memory store's session state) and, separately, the dedup record of the one message.
 * The same for Pekko (one actor per session, as in {@link PekkoThroughputBench}).
 *
 * <pre>java -cp baton-benchmarks/target/benchmarks.jar dev.baton.bench.engine.IdleSessionFootprint 200000</pre>
 */
public final class IdleSessionFootprint {

  public static void main(String[] args) throws Exception {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
    System.out.printf("baton: %.1f bytes per idle session (incl. one dedup record)%n", baton(n));
    System.out.printf("pekko: %.1f bytes per idle actor%n", pekko(n));
  }

  static double baton(int n) {
    EngineHarness h = new EngineHarness(n, null, false); // sender names are made here, before the baseline
    long before = usedAfterGc();
    for (int i = 0; i < n; i++) h.submit(i);
    h.awaitProcessed(n);
    LockSupport.parkNanos(200_000_000L); // let the last turns finish their bookkeeping
    long after = usedAfterGc();
    double perSession = (after - before) / (double) n;
    h.close();
    return perSession;
  }

  static double pekko(int n) throws Exception {
    AtomicLong processed = new AtomicLong();
    long before = usedAfterGc();
    @SuppressWarnings("unchecked")
    ActorRef<String>[] refs = new ActorRef[n];
    CountDownLatch ready = new CountDownLatch(1);
    ActorSystem<Void> system = ActorSystem.create(Behaviors.setup(ctx -> {
      for (int i = 0; i < n; i++) {
        refs[i] = ctx.spawn(Behaviors.receive(String.class).onMessage(String.class, m -> {
          processed.incrementAndGet();
          return Behaviors.same();
        }).build(), "s" + i);
      }
      ready.countDown();
      return Behaviors.empty();
    }), "footprint");
    ready.await();
    for (int i = 0; i < n; i++) refs[i].tell("hi");
    while (processed.get() < n) LockSupport.parkNanos(1_000_000);
    long after = usedAfterGc();
    system.terminate();
    return (after - before) / (double) n;
  }

  static long usedAfterGc() {
    MemoryMXBean mem = ManagementFactory.getMemoryMXBean();
    long used = Long.MAX_VALUE;
    for (int i = 0; i < 5; i++) {
      System.gc();
      LockSupport.parkNanos(100_000_000L);
      used = Math.min(used, mem.getHeapMemoryUsage().getUsed());
    }
    return used;
  }
}
