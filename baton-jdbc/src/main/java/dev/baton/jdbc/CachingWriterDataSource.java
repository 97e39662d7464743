package dev.baton.jdbc;

import java.io.PrintWriter;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;

/**
 * The SQLite writer's one connection, kept open, with its prepared statements cached by SQL text (SQLite
 * parses a statement anew on every prepare, and a turn commit runs about eight). Closing the connection or a
 * statement handed out here only resets it for reuse. Confined to the single writer thread: not thread-safe.
 */
final class CachingWriterDataSource implements DataSource, AutoCloseable {

  private static final int MAX_STATEMENTS = 256;

  private final Connection raw;
  private final Connection shared;
  private final Map<String, PreparedStatement> cache = new LinkedHashMap<>(64, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, PreparedStatement> eldest) {
      if (size() <= MAX_STATEMENTS) return false;
      closeQuietly(eldest.getValue());
      return true;
    }
  };

  CachingWriterDataSource(Connection raw) {
    this.raw = raw;
    this.shared = (Connection) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Connection.class},
        (proxy, m, args) -> switch (m.getName()) {
          case "close" -> null;
          case "isClosed" -> raw.isClosed();
          case "prepareStatement" -> args.length == 1 ? cached((String) args[0]) : call(raw, m, args);
          default -> call(raw, m, args);
        });
  }

  private PreparedStatement cached(String sql) throws SQLException {
    PreparedStatement ps = cache.get(sql);
    if (ps == null) {
      ps = raw.prepareStatement(sql);
      cache.put(sql, ps);
    }
    PreparedStatement real = ps;
    return (PreparedStatement) Proxy.newProxyInstance(getClass().getClassLoader(),
        new Class<?>[] {PreparedStatement.class}, (proxy, m, args) -> {
          if (m.getName().equals("close")) {
            real.clearBatch();
            real.clearParameters();
            return null;
          }
          return call(real, m, args);
        });
  }

  private static @Nullable Object call(Object target, Method m, Object @Nullable [] args) throws Throwable {
    try {
      return m.invoke(target, args);
    } catch (InvocationTargetException e) {
      throw e.getCause() == null ? e : e.getCause();
    }
  }

  private static void closeQuietly(PreparedStatement ps) {
    try {
      ps.close();
    } catch (SQLException ignored) {
      // the statement is being dropped
    }
  }

  @Override
  public Connection getConnection() {
    return shared;
  }

  @Override
  public Connection getConnection(String user, String password) {
    return shared;
  }

  @Override
  public void close() throws SQLException {
    for (PreparedStatement ps : cache.values()) closeQuietly(ps);
    cache.clear();
    raw.close();
  }

  @Override
  public @Nullable PrintWriter getLogWriter() {
    return null;
  }

  @Override
  public void setLogWriter(@Nullable PrintWriter out) {}

  @Override
  public void setLoginTimeout(int seconds) {}

  @Override
  public int getLoginTimeout() {
    return 0;
  }

  @Override
  public Logger getParentLogger() throws SQLFeatureNotSupportedException {
    throw new SQLFeatureNotSupportedException();
  }

  @Override
  public <T> T unwrap(Class<T> iface) throws SQLException {
    throw new SQLException("not a wrapper");
  }

  @Override
  public boolean isWrapperFor(Class<?> iface) {
    return false;
  }
}
