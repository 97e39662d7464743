package dev.baton.agents;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.util.concurrent.atomic.AtomicInteger;

/*
 * Overview: a loopback TCP proxy in front of a test server whose first connections fail the way real networks
 * fail a model call: after the client has sent its request, the proxy either resets the connection (SO_LINGER
 * 0, the peer sees "connection reset") or closes it cleanly before any response (the peer's HTTP/1.1 parser
 * sees EOF). Later connections are piped to the target unchanged.
 *
 * Concurrency: an acceptor virtual thread, and two piping virtual threads per forwarded connection;
 * connections() is thread-safe. close() stops accepting; forwarded connections end with their peers.
 */
/** A proxy that drops its first connections by reset or by close, then forwards. */
final class DroppingProxy implements AutoCloseable {

  enum Drop { RESET, CLOSE }

  private final ServerSocket listener;
  private final AtomicInteger accepted = new AtomicInteger();

  private DroppingProxy(URI target, int drops, Drop how) throws IOException {
    listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread.ofVirtual().name("dropping-proxy").start(() -> {
      while (!listener.isClosed()) {
        Socket client;
        try {
          client = listener.accept();
        } catch (IOException e) {
          return; // closed
        }
        int n = accepted.getAndIncrement();
        if (n < drops) {
          Thread.ofVirtual().start(() -> drop(client, how));
        } else {
          Thread.ofVirtual().start(() -> forward(client, target));
        }
      }
    });
  }

  /** A proxy to {@code target} (an http URI with host and port) that drops its first {@code drops} connections. */
  static DroppingProxy start(URI target, int drops, Drop how) throws IOException {
    return new DroppingProxy(target, drops, how);
  }

  /** {@code target}'s base URL with this proxy's port instead. */
  String baseUrl(String targetBaseUrl) {
    URI t = URI.create(targetBaseUrl);
    return t.getScheme() + "://127.0.0.1:" + listener.getLocalPort() + t.getRawPath();
  }

  /** How many connections were accepted so far (dropped and forwarded). */
  int connections() {
    return accepted.get();
  }

  // Reads the request head, so the failure comes after the request was sent (the case a retry must cover).
  private static void drop(Socket s, Drop how) {
    try (s) {
      InputStream in = s.getInputStream();
      int state = 0;
      for (int b; state < 4 && (b = in.read()) != -1; ) {
        state = (b == '\r' && (state == 0 || state == 2)) || (b == '\n' && (state == 1 || state == 3)) ? state + 1
            : 0;
      }
      if (how == Drop.RESET) s.setSoLinger(true, 0);
    } catch (IOException e) {
      // the client went away first: nothing to drop
    }
  }

  private static void forward(Socket client, URI target) {
    try {
      Socket server = new Socket();
      server.connect(new InetSocketAddress(target.getHost(), target.getPort()));
      Thread up = Thread.ofVirtual().start(() -> pipe(client, server));
      pipe(server, client);
      up.join();
    } catch (IOException e) {
      closeQuietly(client);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      closeQuietly(client);
    }
  }

  private static void pipe(Socket from, Socket to) {
    try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
      in.transferTo(out);
    } catch (IOException e) {
      // one side closed
    } finally {
      closeQuietly(from);
      closeQuietly(to);
    }
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException ignored) {
      // closing
    }
  }

  @Override
  public void close() throws IOException {
    listener.close();
  }
}
