package dev.baton.internal.engine;

import dev.baton.InboundMessage;
import dev.baton.config.SessionsConfig;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/*
 * Overview
 *   Which session class (sessions.classes) a session belongs to, decided once, from the message that makes its
 *   actor (its first message while it has work; Engine.actorFor). Only authenticated sources count: the class
 *   claim of a verified JWT, which the adapter puts in the message's routing under InboundMessage.ROUTE_CLASS
 *   (the message API; no field of a request body reaches routing), else the first matching class rule on the
 *   authenticated channel and sender, else `standard`. A claim value that names no class is `standard`: a
 *   user can never make the engine fail by what a token says. Later messages of the session do not change its
 *   class (the actor keeps it), so a lie in a later message buys nothing.
 *
 * Concurrency
 *   Immutable after construction; of() is a pure function, safe from any thread.
 */
/** The session classes in force and the rule that assigns one to a session. Immutable. */
final class SessionClasses {

  private final List<String> names;
  private final int[] weights;
  private final Map<String, Integer> index = new HashMap<>();
  private final boolean claimed;
  private final List<SessionsConfig.ClassRule> rules;
  private final int[] ruleClass;

  SessionClasses(SessionsConfig cfg) {
    Map<String, Integer> eff = cfg.effectiveClasses();
    names = List.copyOf(eff.keySet());
    weights = new int[names.size()];
    int i = 0;
    for (Map.Entry<String, Integer> e : eff.entrySet()) {
      weights[i] = e.getValue();
      index.put(e.getKey(), i++);
    }
    claimed = !cfg.classClaim().isEmpty();
    rules = cfg.classRules();
    ruleClass = new int[rules.size()];
    for (int r = 0; r < rules.size(); r++) {
      // SessionsConfig checked that every rule names a configured class (or standard).
      ruleClass[r] = Objects.requireNonNull(index.get(rules.get(r).sessionClass()), "rule class");
    }
  }

  /** The class index of a session whose actor {@code first} makes: claim, then rules, then standard (0). */
  int of(InboundMessage first) {
    if (claimed) {
      String claim = first.routing().get(InboundMessage.ROUTE_CLASS);
      if (claim != null) {
        Integer c = index.get(claim);
        return c == null ? 0 : c; // a claim that names no class: standard, never an error
      }
    }
    for (int i = 0; i < rules.size(); i++) {
      if (rules.get(i).matches(first.channel(), first.sender())) return ruleClass[i];
    }
    return 0;
  }

  String name(int cls) {
    return names.get(cls);
  }

  int count() {
    return names.size();
  }

  int[] weights() {
    return weights.clone();
  }

  List<String> names() {
    return new ArrayList<>(names);
  }
}
