package dev.baton.examples.assistant;

import dev.baton.BatonContext;
import dev.baton.langchain4j.BatonResource;
import dev.baton.langchain4j.BatonTimeout;
import dev.langchain4j.agent.tool.P;
import dev.langchain4j.agent.tool.Tool;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The assistant's tools: plain LangChain4j {@code @Tool} methods with Baton's resource declarations. Baton's
 * tool runtime runs them: {@code transfer} holds both accounts exclusively, {@code balance} reads one shared.
 */
public final class BankTools {

  private final Map<String, AtomicLong> cents = new ConcurrentHashMap<>();

  public BankTools() {
    cents.put("checking", new AtomicLong(120_00));
    cents.put("savings", new AtomicLong(1_000_00));
  }

  @Tool("Returns the balance of an account, in cents")
  @BatonResource(value = "account:{account}", exclusive = false)
  public long balance(@P("the account: checking or savings") String account) {
    return account(account).get();
  }

  @Tool("Moves money from one account to another and returns the new balances")
  @BatonResource("account:{from}")
  @BatonResource("account:{to}")
  @BatonTimeout(millis = 5_000)
  public String transfer(@P("source account") String from, @P("target account") String to,
      @P("amount in cents") long amount) {
    if (amount <= 0) throw new IllegalArgumentException("amount must be positive");
    AtomicLong source = account(from);
    if (source.get() < amount) throw new IllegalArgumentException("not enough money in " + from);
    source.addAndGet(-amount);
    account(to).addAndGet(amount);
    String user = BatonContext.current().map(c -> c.user()).orElse("nobody");
    return "moved " + amount + " cents from " + from + " to " + to + " for " + user + "; " + from + "="
        + account(from).get() + ", " + to + "=" + account(to).get();
  }

  long cents(String account) {
    return account(account).get();
  }

  private AtomicLong account(String name) {
    AtomicLong a = cents.get(name);
    if (a == null) throw new IllegalArgumentException("no account named '" + name + "'");
    return a;
  }
}
