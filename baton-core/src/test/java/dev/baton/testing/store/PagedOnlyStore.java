package dev.baton.testing.store;

import dev.baton.spi.Store;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A store as recovery must see it under P11 (a backlog that would not fit in memory): the whole-list reads
 * {@code undeliveredReplies()} and {@code unfinished()} fail the test, everything else goes to the wrapped
 * store. Records the largest page any {@code ...Page} read asked for.
 */
public final class PagedOnlyStore {
  private PagedOnlyStore() {}

  /** {@code inner} behind the check; {@code largestPage} is raised to every page limit asked for. */
  public static Store wrap(Store inner, AtomicInteger largestPage) {
    return (Store) Proxy.newProxyInstance(Store.class.getClassLoader(), new Class<?>[] {Store.class},
        (proxy, method, args) -> {
          boolean whole = (method.getName().equals("undeliveredReplies") || method.getName().equals("unfinished"))
              && method.getParameterCount() == 0;
          if (whole) throw new AssertionError("recovery read the whole " + method.getName() + " at once");
          if (method.getName().endsWith("Page")) largestPage.accumulateAndGet((Integer) args[1], Math::max);
          try {
            return method.invoke(inner, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
        });
  }
}
