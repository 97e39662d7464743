package dev.baton.config;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * {@code tools.mcp:} — MCP servers (Model Context Protocol) whose tools become Baton tools named
 * {@code <server>.<tool>}, run through the tool runtime (locks, idempotency, timeouts, deadlock detection).
 * See docs/tools.md, "MCP".
 */
public record McpConfig(
    @Doc("MCP servers by name (lower case letters, digits, `_`, `-`; the name prefixes its tools:"
        + " `<server>.<tool>`). Each is a stdio `command` or a streamable HTTP `url`.")
    Map<String, Server> servers) {

  private static final Pattern SERVER_NAME = Pattern.compile("[a-z][a-z0-9_-]{0,31}");

  public McpConfig {
    servers = Map.copyOf(Objects.requireNonNull(servers, "servers"));
    for (Map.Entry<String, Server> e : servers.entrySet()) {
      if (!SERVER_NAME.matcher(e.getKey()).matches()) {
        throw new IllegalArgumentException("servers: the name '" + e.getKey() + "' must be lower case letters,"
            + " digits, '_' or '-', starting with a letter, at most 32");
      }
      if (e.getValue().command().isEmpty() && e.getValue().url().isEmpty()) {
        throw new IllegalArgumentException("servers: server '" + e.getKey() + "' needs `command` (a stdio server)"
            + " or `url` (a streamable HTTP server)");
      }
    }
  }

  public static McpConfig defaults() {
    return new McpConfig(Map.of());
  }

  /** 4 MiB. */
  public static final long DEFAULT_MAX_MESSAGE_BYTES = 4L << 20;
  /** 256 Ki characters. */
  public static final long DEFAULT_MAX_RESULT_CHARS = 256L << 10;

  /** {@code tools.mcp.servers.<name>:} */
  public record Server(
      @Doc("Program of a stdio server (started by Baton, spoken to over its stdin/stdout); empty for an HTTP"
          + " server.") String command,
      @Doc("Arguments of `command`.") List<String> args,
      @Doc("Environment variables added for `command` (`${ENV}` substitution applies; values are never logged).")
      Map<String, String> env,
      @Doc("Working directory of `command`; empty: Baton's.") String workingDir,
      @Doc("Endpoint of a streamable HTTP server (`https://host/mcp`); empty for a stdio server.") String url,
      @Doc("HTTP headers sent to `url` (e.g. `Authorization: \"Bearer ${MCP_TOKEN}\"`; values are never logged).")
      Map<String, String> headers,
      @Doc("Timeout of one call of this server's tools (ms); at it the call fails with `timeout` and"
          + " `notifications/cancelled` is sent to the server.") long timeoutMs,
      @Doc("How long the server may take to start and answer `initialize` and `tools/list` (ms).")
      long connectTimeoutMs,
      @Doc("After a call timed out, the server must answer a `ping` within this (ms), else it is taken as hung,"
          + " stopped and restarted.") long pingTimeoutMs,
      @Doc("First delay before restarting a server that died or hung (ms); it doubles per failed attempt.")
      long restartInitialBackoffMs,
      @Doc("Longest delay between two restart attempts (ms).") long restartMaxBackoffMs,
      @Doc("Lock rules: `{tool, lock, access}`; `lock` is `kind:template` over the tool's arguments"
          + " (`file:{path}`), `access` `exclusive` (default) or `shared`. See docs/tools.md, MCP locks.")
      List<LockRule> resources,
      @Doc("Longest JSON-RPC message (one stdout line) a stdio server may write (bytes); past it the server is"
          + " stopped and restarted and its calls in flight fail with `unavailable`.") long maxMessageBytes,
      @Doc("Longest tool result passed on to the agent (characters of its JSON text); a longer one is cut,"
          + " ending in `… [truncated N chars]`.") long maxResultChars,
      @Doc("Whether a stdio server gets Baton's whole environment. Default false: only PATH, HOME, LANG,"
          + " LC_ALL, TMPDIR, JAVA_HOME and SYSTEMROOT (those set) plus `env`.") boolean inheritEnv) {

    public Server {
      Objects.requireNonNull(command, "command");
      args = List.copyOf(Objects.requireNonNull(args, "args"));
      env = Map.copyOf(Objects.requireNonNull(env, "env"));
      Objects.requireNonNull(workingDir, "working_dir");
      Objects.requireNonNull(url, "url");
      headers = Map.copyOf(Objects.requireNonNull(headers, "headers"));
      resources = List.copyOf(Objects.requireNonNull(resources, "resources"));
      if (!command.isEmpty() && !url.isEmpty()) {
        throw new IllegalArgumentException("url: a server is either a stdio `command` or an HTTP `url`, not both");
      }
      if (!url.isEmpty() && !url.startsWith("http://") && !url.startsWith("https://")) {
        throw new IllegalArgumentException("url must start with http:// or https://");
      }
      if (command.isEmpty() && (!args.isEmpty() || !env.isEmpty() || !workingDir.isEmpty())) {
        throw new IllegalArgumentException("args, env and working_dir need a `command`");
      }
      if (url.isEmpty() && !headers.isEmpty()) throw new IllegalArgumentException("headers need a `url`");
      for (int i = 0; i < resources.size(); i++) {
        if (resources.get(i).tool().isBlank() || resources.get(i).lock().isEmpty()) {
          throw new IllegalArgumentException("resources: rule " + i + " (from 0) needs both `tool` and `lock`");
        }
      }
      Checks.positive("timeout_ms", timeoutMs);
      Checks.positive("connect_timeout_ms", connectTimeoutMs);
      Checks.positive("ping_timeout_ms", pingTimeoutMs);
      Checks.positive("restart_initial_backoff_ms", restartInitialBackoffMs);
      Checks.positive("restart_max_backoff_ms", restartMaxBackoffMs);
      Checks.positive("max_message_bytes", maxMessageBytes);
      Checks.positive("max_result_chars", maxResultChars);
      if (maxMessageBytes > Integer.MAX_VALUE - 8) {
        throw new IllegalArgumentException("max_message_bytes must be at most " + (Integer.MAX_VALUE - 8));
      }
      if (maxResultChars > Integer.MAX_VALUE - 8) {
        throw new IllegalArgumentException("max_result_chars must be at most " + (Integer.MAX_VALUE - 8));
      }
      if (restartMaxBackoffMs < restartInitialBackoffMs) {
        throw new IllegalArgumentException("restart_max_backoff_ms (" + restartMaxBackoffMs
            + ") must not be less than restart_initial_backoff_ms (" + restartInitialBackoffMs + ")");
      }
    }

    /** Neither stdio nor HTTP yet (the binder fills in what the file gives). */
    public static Server defaults() {
      return new Server("", List.of(), Map.of(), "", "", Map.of(), 30_000, 20_000, 5_000, 500, 30_000, List.of(),
          DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_MAX_RESULT_CHARS, false);
    }

    /** A stdio server with the default timings. */
    public static Server stdio(String command, List<String> args) {
      Server d = defaults();
      return new Server(command, args, Map.of(), "", "", Map.of(), d.timeoutMs, d.connectTimeoutMs, d.pingTimeoutMs,
          d.restartInitialBackoffMs, d.restartMaxBackoffMs, List.of(), d.maxMessageBytes, d.maxResultChars, false);
    }

    public Server withEnv(Map<String, String> e) {
      return new Server(command, args, e, workingDir, url, headers, timeoutMs, connectTimeoutMs, pingTimeoutMs,
          restartInitialBackoffMs, restartMaxBackoffMs, resources, maxMessageBytes, maxResultChars, inheritEnv);
    }

    public Server withTimeouts(long callMs, long pingMs) {
      return new Server(command, args, env, workingDir, url, headers, callMs, connectTimeoutMs, pingMs,
          restartInitialBackoffMs, restartMaxBackoffMs, resources, maxMessageBytes, maxResultChars, inheritEnv);
    }

    public Server withBackoff(long initialMs, long maxMs) {
      return new Server(command, args, env, workingDir, url, headers, timeoutMs, connectTimeoutMs, pingTimeoutMs,
          initialMs, maxMs, resources, maxMessageBytes, maxResultChars, inheritEnv);
    }

    public Server withResources(List<LockRule> r) {
      return new Server(command, args, env, workingDir, url, headers, timeoutMs, connectTimeoutMs, pingTimeoutMs,
          restartInitialBackoffMs, restartMaxBackoffMs, r, maxMessageBytes, maxResultChars, inheritEnv);
    }

    /** With other output limits (tests). */
    public Server withLimits(long messageBytes, long resultChars) {
      return new Server(command, args, env, workingDir, url, headers, timeoutMs, connectTimeoutMs, pingTimeoutMs,
          restartInitialBackoffMs, restartMaxBackoffMs, resources, messageBytes, resultChars, inheritEnv);
    }

    public Server withInheritEnv(boolean inherit) {
      return new Server(command, args, env, workingDir, url, headers, timeoutMs, connectTimeoutMs, pingTimeoutMs,
          restartInitialBackoffMs, restartMaxBackoffMs, resources, maxMessageBytes, maxResultChars, inherit);
    }

    @Override
    public String toString() {
      Map<String, String> e = new LinkedHashMap<>();
      env.keySet().forEach(k -> e.put(k, "***"));
      Map<String, String> h = new LinkedHashMap<>();
      headers.keySet().forEach(k -> h.put(k, "***"));
      return "Server[command=" + command + ", args=" + args + ", env=" + e + ", workingDir=" + workingDir + ", url="
          + url + ", headers=" + h + ", timeoutMs=" + timeoutMs + ", connectTimeoutMs=" + connectTimeoutMs
          + ", pingTimeoutMs=" + pingTimeoutMs + ", restartInitialBackoffMs=" + restartInitialBackoffMs
          + ", restartMaxBackoffMs=" + restartMaxBackoffMs + ", resources=" + resources + ", maxMessageBytes=" + maxMessageBytes + ", maxResultChars=" + maxResultChars
          + ", inheritEnv=" + inheritEnv + "]";
    }
  }

  /** How a lock is held. */
  public enum LockAccess { EXCLUSIVE, SHARED }

  /** {@code tools.mcp.servers.<name>.resources[i]:} one lock a call of {@code tool} takes. */
  public record LockRule(
      @Doc("The MCP tool's name as the server lists it (checked when the server is connected).") String tool,
      @Doc("`kind:template`: the lock key, `{arg}` replaced by the call's argument `arg`, normalised as a path"
          + " (`a/../b` = `b`); `{=arg}` takes the value exactly.") String lock,
      @Doc("`exclusive` or `shared`.") LockAccess access,
      @Doc("For path arguments: the server's root folder, so absolute paths under it and relative paths name"
          + " the same lock (`/srv/files/a` = `a`); a path outside it is refused. Empty: no root.") String root) {

    private static final Pattern TEMPLATE = Pattern.compile("[a-z][a-z0-9_.-]*:(?:[^{}]|\\{=?[A-Za-z_][A-Za-z0-9_]*\\})+");

    public LockRule {
      Objects.requireNonNull(tool, "tool");
      Objects.requireNonNull(lock, "lock");
      Objects.requireNonNull(access, "access");
      Objects.requireNonNull(root, "root");
      // Empty tool or lock: only in defaults(); the server's check reports a rule that leaves one out.
      if (!lock.isEmpty() && !TEMPLATE.matcher(lock).matches()) {
        throw new IllegalArgumentException("lock must be `kind:template` (a lower-case kind, then text and"
            + " `{argument}` placeholders, e.g. `file:{path}`), was '" + lock + "'");
      }
      if (!root.isEmpty() && !root.startsWith("/")) throw new IllegalArgumentException("root must be an absolute path");
    }

    public static LockRule defaults() {
      return new LockRule("", "", LockAccess.EXCLUSIVE, "");
    }

    public static LockRule exclusive(String tool, String lock) {
      return new LockRule(tool, lock, LockAccess.EXCLUSIVE, "");
    }
  }
}
