package dev.baton.jdbc.crash;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/** A {@link CrashNode} in its own JVM: feeds it lines, reads its events, kills it with SIGKILL. */
public final class NodeProcess implements AutoCloseable {

  private final Process process;
  private final PrintWriter stdin;
  private final LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
  /** Every line printed so far; lines are also queued only to wake waiters. */
  private final java.util.Set<String> seen = java.util.concurrent.ConcurrentHashMap.newKeySet();
  private final Thread reader;

  NodeProcess(Path dir, String name, Consumer<String> events, List<String> args) throws IOException {
    this(dir, name, CrashNode.class, events, args);
  }

  /** Starts {@code main} in a new JVM with this JVM's class path. */
  public NodeProcess(Path dir, String name, Class<?> main, Consumer<String> events, List<String> args)
      throws IOException {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), "-Xmx256m", "-XX:TieredStopAtLevel=1",
        "--enable-native-access=ALL-UNNAMED", main.getName()));
    cmd.addAll(args);
    process = new ProcessBuilder(cmd).redirectError(dir.resolve(name + ".stderr").toFile()).start();
    stdin = new PrintWriter(process.getOutputStream(), true, StandardCharsets.UTF_8);
    reader = Thread.ofPlatform().daemon(true).name(name + "-stdout").start(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line; (line = r.readLine()) != null; ) {
          events.accept(line);
          seen.add(line);
          lines.add(line);
        }
      } catch (IOException e) {
        // the process died: its stdout closed
      }
    });
  }

  public void send(String line) {
    stdin.println(line);
  }

  /** Waits until the node has printed exactly {@code line} (at any time in its life). */
  public void await(String line, Duration timeout) throws InterruptedException {
    awaitState(() -> seen.contains(line), timeout, line);
  }

  /**
   * Waits until {@code condition} (over what the event consumer recorded) holds; it is checked at once and
   * after every line the node prints. Fails after {@code timeout} or if the process dies.
   */
  public void awaitState(java.util.function.BooleanSupplier condition, Duration timeout, String what)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      long left = deadline - System.nanoTime();
      if (left <= 0) throw new AssertionError("timed out waiting for " + what);
      String line = lines.poll(Math.min(left, TimeUnit.MILLISECONDS.toNanos(200)), TimeUnit.NANOSECONDS);
      if (line == null && !process.isAlive() && !reader.isAlive() && !condition.getAsBoolean()) {
        throw new AssertionError("node exited (" + process.exitValue() + ") while waiting for " + what);
      }
    }
  }

  /** kill -9: no shutdown hook, no flush, no close. */
  public void kill() throws InterruptedException {
    // SIGKILL through the process handle: Process.destroyForcibly() also closes this side's pipes, which
    // throws away whatever the node printed just before it died and the reader had not read yet.
    process.toHandle().destroyForcibly();
    if (!process.waitFor(30, TimeUnit.SECONDS)) throw new AssertionError("killed node did not exit");
    reader.join(Duration.ofSeconds(30));
  }

  /** Asks the node to shut down cleanly and waits for it. */
  public void quit() throws InterruptedException {
    send("QUIT");
    await("BYE", Duration.ofSeconds(60));
    if (!process.waitFor(30, TimeUnit.SECONDS)) throw new AssertionError("node did not exit after BYE");
    reader.join(Duration.ofSeconds(30));
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) kill();
  }
}
