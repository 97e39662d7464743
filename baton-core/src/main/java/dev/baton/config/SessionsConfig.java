package dev.baton.config;

import dev.baton.IdSource;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/** {@code sessions:} — the guide's keys, verbatim, and the session classes of the fair dispatcher. */
public record SessionsConfig(
    @Doc("`strict`: never share context between sessions (the only value; kept for the guide's snippets).")
        Isolation isolation,
    @Doc("`per_session`: each session gets its own storage namespace (the only value).") Storage storage,
    @Doc("What a session is keyed by, always from authenticated fields: `user_id`, `chat_id` (a group shares"
        + " one session) or `user_and_chat`.") IdSource idSource,
    @Doc("Sessions with work (held, queued, running or committing) that one sender of one channel may have at"
        + " once (P11). A message that would open one more is refused as busy (API: 429) with nothing stored.")
        int maxLivePerUser,
    @Doc("Session classes of the fair dispatcher: class name → `weight` (1 to 1000). Under load each class gets"
        + " its weight's share of the global permits and none starves. `standard` (weight 1 unless given here)"
        + " always exists and is the class of every session nothing else names.")
        Map<String, SessionClass> classes,
    @Doc("The JWT claim (message API) whose value names a session's class, e.g. `tier`; empty: none. A value"
        + " that names no class means `standard`, never an error.") String classClaim,
    @Doc("Rules for sessions without a class claim, first match wins: `channel` and `user` (exact, or a glob"
        + " with `*` and `?`) and the `class` they get.") List<ClassRule> classRules) {

  public enum Isolation { STRICT }

  public enum Storage { PER_SESSION }

  /** The class every session gets when no claim or rule names another. */
  public static final String DEFAULT_CLASS = "standard";
  public static final int MAX_WEIGHT = 1000;
  public static final int MAX_CLASSES = 32;
  private static final Pattern CLASS_NAME = Pattern.compile("[a-z0-9_-]{1,32}");

  /** One session class: its share of the global permits under load is weight / (sum of the weights). */
  public record SessionClass(@Doc("Share of the global permits under load (1 to 1000).") int weight) {
    public SessionClass {
      if (weight <= 0 || weight > MAX_WEIGHT) {
        throw new IllegalArgumentException("weight must be a whole number from 1 to " + MAX_WEIGHT + ", was " + weight);
      }
    }
  }

  /** A class rule: sessions whose first message is of {@code channel} from {@code user} get {@code class}. */
  public record ClassRule(
      @Doc("The channel (`api`, `telegram`, ...; `*` for any).") String channel,
      @Doc("The authenticated sender id: exact, or a glob with `*` and `?`.") String user,
      @Doc("The class these sessions get (a name of `sessions.classes`, or `standard`).") @YamlName("class")
          String sessionClass) {
    public ClassRule {
      Objects.requireNonNull(channel, "channel");
      Objects.requireNonNull(user, "user");
      Objects.requireNonNull(sessionClass, "class");
      if (channel.isBlank()) throw new IllegalArgumentException("channel must not be blank (`*` matches any)");
      if (user.isBlank()) throw new IllegalArgumentException("user must not be blank (`*` matches any)");
    }

    /** Whether a session's first message of {@code ch} from {@code sender} falls under this rule. */
    public boolean matches(String ch, String sender) {
      return glob(channel, ch) && glob(user, sender);
    }
  }

  public SessionsConfig {
    Objects.requireNonNull(isolation, "isolation");
    Objects.requireNonNull(storage, "storage");
    Objects.requireNonNull(idSource, "id_source");
    Objects.requireNonNull(classClaim, "class_claim");
    Checks.positive("max_live_per_user", maxLivePerUser);
    classes = Collections.unmodifiableMap(new LinkedHashMap<>(Objects.requireNonNull(classes, "classes")));
    classRules = List.copyOf(Objects.requireNonNull(classRules, "class_rules"));
    for (Map.Entry<String, SessionClass> e : classes.entrySet()) {
      if (!CLASS_NAME.matcher(e.getKey()).matches()) {
        throw new IllegalArgumentException("classes: `" + e.getKey() + "` is not a class name (1 to 32 of a-z,"
            + " 0-9, `_`, `-`; it becomes a metric tag)");
      }
      Objects.requireNonNull(e.getValue(), "classes." + e.getKey());
    }
    if (classes.size() > MAX_CLASSES) {
      throw new IllegalArgumentException("classes: at most " + MAX_CLASSES + " classes, were " + classes.size());
    }
    for (int i = 0; i < classRules.size(); i++) {
      String c = classRules.get(i).sessionClass();
      if (!c.equals(DEFAULT_CLASS) && !classes.containsKey(c)) {
        throw new IllegalArgumentException("class_rules: rule " + (i + 1) + " names the class `" + c + "`, which is not in"
            + " sessions.classes (known: " + String.join(", ", classNames(classes)) + ")");
      }
    }
    if (!classClaim.isEmpty() && classClaim.isBlank()) {
      throw new IllegalArgumentException("class_claim must be a claim name or empty");
    }
  }

  public static final int DEFAULT_MAX_LIVE_PER_USER = 16;

  /** The guide's three keys; the others take their defaults. */
  public SessionsConfig(Isolation isolation, Storage storage, IdSource idSource) {
    this(isolation, storage, idSource, DEFAULT_MAX_LIVE_PER_USER);
  }

  /** Without session classes (every session is {@code standard}). */
  public SessionsConfig(Isolation isolation, Storage storage, IdSource idSource, int maxLivePerUser) {
    this(isolation, storage, idSource, maxLivePerUser, Map.of(), "", List.of());
  }

  public SessionsConfig withMaxLivePerUser(int n) {
    return new SessionsConfig(isolation, storage, idSource, n, classes, classClaim, classRules);
  }

  /** The same with these classes, claim and rules. */
  public SessionsConfig withClasses(Map<String, SessionClass> c, String claim, List<ClassRule> rules) {
    return new SessionsConfig(isolation, storage, idSource, maxLivePerUser, c, claim, rules);
  }

  /**
   * The classes in force, in a fixed order: {@code standard} (weight 1 unless configured) first, then the
   * configured ones in the file's order.
   */
  public Map<String, Integer> effectiveClasses() {
    Map<String, Integer> out = new LinkedHashMap<>();
    SessionClass std = classes.get(DEFAULT_CLASS);
    out.put(DEFAULT_CLASS, std == null ? 1 : std.weight());
    classes.forEach((name, c) -> out.putIfAbsent(name, c.weight()));
    return Collections.unmodifiableMap(out);
  }

  private static List<String> classNames(Map<String, SessionClass> classes) {
    List<String> names = new ArrayList<>();
    names.add(DEFAULT_CLASS);
    for (String n : classes.keySet()) if (!n.equals(DEFAULT_CLASS)) names.add(n);
    return names;
  }

  /** {@code *} any run of characters, {@code ?} one character, everything else itself. */
  static boolean glob(String pattern, String s) {
    int p = 0;
    int i = 0;
    int star = -1;
    int mark = 0;
    while (i < s.length()) {
      if (p < pattern.length() && (pattern.charAt(p) == '?' || pattern.charAt(p) == s.charAt(i))) {
        p++;
        i++;
      } else if (p < pattern.length() && pattern.charAt(p) == '*') {
        star = p++;
        mark = i;
      } else if (star >= 0) {
        p = star + 1;
        i = ++mark;
      } else {
        return false;
      }
    }
    while (p < pattern.length() && pattern.charAt(p) == '*') p++;
    return p == pattern.length();
  }

  public static SessionsConfig defaults() {
    return new SessionsConfig(Isolation.STRICT, Storage.PER_SESSION, IdSource.USER_ID);
  }
}
