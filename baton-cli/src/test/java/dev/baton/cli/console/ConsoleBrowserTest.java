package dev.baton.cli.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.baton.Baton;
import dev.baton.SessionKey;
import dev.baton.cli.ServeCommand;
import dev.baton.config.AdminConfig;
import dev.baton.config.BatonConfig;
import dev.baton.config.ChannelsConfig;
import dev.baton.config.ServerConfig;
import dev.baton.config.ToolsConfig;
import dev.baton.gateway.Gateway;
import dev.baton.gateway.ReplyRouter;
import dev.baton.spi.Scheduler;
import dev.baton.spi.Store;
import dev.baton.spi.tool.ToolCall;
import dev.baton.spi.tool.ToolResult;
import dev.baton.tools.Access;
import dev.baton.tools.BatonTools;
import dev.baton.tools.Resource;
import dev.baton.tools.Tool;
import dev.baton.tools.ToolContext;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.openqa.selenium.By;
import org.openqa.selenium.Cookie;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * The operator console (docs/console.md) in a real headless Chromium (Debian's chromium and chromium-driver;
 * .ci/run installs them) over an in-process gateway, engine and tool runtime wired as {@code baton serve} wires
 * them: a browser without a login and one with a forged cookie get the login form and no data; after logging in
 * the sessions view shows a session's queue grow while messages are sent to a held agent and drain when it is let
 * go; a lock-order deadlock between two tool calls appears in the wait-for graph with its cycle in red and in the
 * deadlock table with its victim; a running turn cancelled from the console ends cancelled. Every view is saved as
 * target/console/*.png. Nothing waits by sleeping: the agent and the tool are held by latches, and the page is
 * polled for the state it must reach.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConsoleBrowserTest {

  static final File DRIVER = new File("/usr/bin/chromedriver");
  static final String ADMIN = "console-test-admin-token-0123456789abcdef";
  static final String SECRET = "console-test-jwt-secret-0123456789abcdef";
  static final Path SHOTS = Path.of("target", "console");

  /** Turns of "hold" messages wait for a permit; the test hands them out. */
  static final Semaphore hold = new Semaphore(0);
  static final CountDownLatch cancelledTurnInterrupted = new CountDownLatch(1);
  static final LockChain chain = new LockChain();

  static Path dir;
  static Store store;
  static BatonTools tools;
  static Baton engine;
  static Gateway gateway;
  static ChromeDriver browser;
  static final HttpClient http = HttpClient.newHttpClient();

  /** Locks res:first, says so, waits to be told to go on, then locks res:second (as the baton-tools tests do). */
  static final class LockChain implements Tool {
    final Map<String, CountDownLatch> holding = new ConcurrentHashMap<>();
    final Map<String, CountDownLatch> goOn = new ConcurrentHashMap<>();

    CountDownLatch holding(String id) {
      return holding.computeIfAbsent(id, k -> new CountDownLatch(1));
    }

    CountDownLatch go(String id) {
      return goOn.computeIfAbsent(id, k -> new CountDownLatch(1));
    }

    @Override
    public String name() {
      return "chain";
    }

    @Override
    public String description() {
      return "locks two resources in the order given";
    }

    @Override
    public String inputSchema() {
      return "{\"type\":\"object\"}";
    }

    @Override
    public JsonNode execute(JsonNode args, ToolContext ctx) throws InterruptedException {
      String id = args.get("id").asText();
      ctx.lock(Resource.path("res", args.get("first").asText(), Access.EXCLUSIVE));
      holding(id).countDown();
      go(id).await();
      ctx.lock(Resource.path("res", args.get("second").asText(), Access.EXCLUSIVE));
      return ctx.json().objectNode().put("id", id);
    }
  }

  @BeforeAll
  static void start() throws Exception {
    boolean ci = System.getenv("CI") != null;
    if (!ci) assumeTrue(DRIVER.canExecute(), "no /usr/bin/chromedriver (apt-get install chromium chromium-driver)");
    dir = Files.createTempDirectory("baton-console");
    BatonConfig cfg = BatonConfig.defaults()
        .withServer(ServerConfig.defaults().withPort(0))
        .withChannels(ChannelsConfig.defaults().withApi(ChannelsConfig.ApiChannelConfig.defaults()
            .withJwt(ChannelsConfig.JwtConfig.hs256(SECRET))))
        .withAdmin(new AdminConfig(ADMIN))
        .withTools(new ToolsConfig(dir.resolve("ws").toString(), 3_600_000));
    Scheduler scheduler = Scheduler.system();
    PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    store = ServeCommand.openStore(cfg, scheduler);
    ReplyRouter router = ReplyRouter.create(cfg, store, scheduler, meters);
    dev.baton.spi.TimelineObserver observer = router.consoleObserver().orElseThrow(); // as baton serve wires it
    tools = BatonTools.builder().config(cfg).scheduler(scheduler).meterRegistry(meters).tool(chain)
        .observer(observer).build();
    engine = Baton.builder().config(cfg).store(store).scheduler(scheduler).meterRegistry(meters).replies(router)
        .observer(observer).tools(tools).agent(turn -> {
          String text = turn.messages().getLast().text();
          if (text.startsWith("chain ")) {
            ToolResult r = turn.tools().call(ToolCall.of("chain", text.substring(6)));
            turn.reply(r instanceof ToolResult.Ok ? "locked both" : ((ToolResult.Failed) r).code());
          } else {
            try {
              hold.acquire();
            } catch (InterruptedException e) {
              cancelledTurnInterrupted.countDown();
              throw e;
            }
            turn.reply("done: " + text);
          }
        }).build();
    BatonTools runtime = tools;
    gateway = Gateway.builder(cfg).engine(engine).store(store).scheduler(scheduler).meterRegistry(meters)
        .replies(router).adminView("wait-for-graph", runtime::snapshot)
        .adminView("deadlocks", runtime::recentDeadlocks).build().start();
    ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(DRIVER)
        .usingAnyFreePort().build();
    ChromeOptions options = new ChromeOptions().setBinary("/usr/bin/chromium")
        .addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,900");
    browser = new ChromeDriver(service, options);
    browser.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(30));
    Files.createDirectories(SHOTS);
  }

  @AfterAll
  static void stop() {
    hold.release(1000);
    chain.goOn.values().forEach(CountDownLatch::countDown);
    if (browser != null) browser.quit();
    if (gateway != null) gateway.stop(Duration.ofSeconds(5));
    if (engine != null) engine.close();
    if (tools != null) tools.close();
    if (store != null) store.close();
  }

  static String base() {
    return "http://127.0.0.1:" + gateway.port();
  }

  static String jwt(String user) throws Exception {
    SignedJWT t = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), new JWTClaimsSet.Builder().subject(user)
        .expirationTime(Date.from(Instant.now().plusSeconds(3600))).build());
    t.sign(new MACSigner(SECRET.getBytes(StandardCharsets.UTF_8)));
    return t.serialize();
  }

  static void send(String user, String id, String text) throws Exception {
    String body = "{\"id\":\"" + id + "\",\"text\":\"" + text.replace("\"", "\\\"") + "\"}";
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base() + "/v1/messages"))
        .header("Authorization", "Bearer " + jwt(user)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
  }

  /** Polls the condition (page or engine state) every 50 ms for at most 15 s. */
  static void until(String what, BooleanSupplier ok) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (!ok.getAsBoolean()) {
      if (System.nanoTime() > end) throw new AssertionError("timed out waiting until " + what);
      Thread.sleep(50); // polling interval of a bounded wait, not a wait for something to happen
    }
  }

  /** The text of the first element matching, "" if none (or if the page re-rendered it while it was read). */
  static String textOf(By by) {
    try {
      List<WebElement> e = browser.findElements(by);
      return e.isEmpty() ? "" : e.getFirst().getText();
    } catch (StaleElementReferenceException e) {
      return ""; // the page rendered a new snapshot meanwhile: the next poll reads it
    }
  }

  static String text(String id) {
    return textOf(By.id(id));
  }

  static String cell(String session, String cls) {
    return textOf(By.cssSelector("#sessions-table tr[data-session='" + session + "'] td." + cls));
  }

  /** The computed stroke colour of the first element matching (read in one script, so never stale). */
  static Object stroke(String css) {
    return browser.executeScript("const e = document.querySelector(arguments[0]);"
        + " return e ? getComputedStyle(e).stroke : null;", css);
  }

  static void shot(String name) throws Exception {
    File f = browser.getScreenshotAs(OutputType.FILE);
    Path target = SHOTS.resolve(name + ".png");
    Files.copy(f.toPath(), target, StandardCopyOption.REPLACE_EXISTING);
    assertThat(Files.size(target)).isGreaterThan(5_000);
  }

  static void view(String hash) {
    browser.get(base() + "/console#" + hash);
  }

  static void login() throws Exception {
    browser.get(base() + "/console");
    if (!browser.findElements(By.id("view-overview")).isEmpty()) return;
    browser.findElement(By.id("token")).sendKeys(ADMIN);
    browser.findElement(By.id("login-button")).click();
    until("the console page", () -> !browser.findElements(By.id("view-overview")).isEmpty());
    until("the stream is live", () -> text("status").equals("live"));
  }

  @Test
  @Order(1)
  void anUnauthenticatedBrowserAndAForgedCookieGetNothing() throws Exception {
    browser.manage().deleteAllCookies();
    browser.get(base() + "/console");
    assertThat(browser.findElements(By.id("token"))).hasSize(1);
    assertThat(browser.findElements(By.id("view-sessions"))).isEmpty();
    shot("login");
    browser.get(base() + "/console/stream");
    assertThat(browser.getPageSource()).contains("unauthorized").doesNotContain("overview");
    browser.get(base() + "/console");
    browser.manage().addCookie(new Cookie("baton_console", "forged-" + "x".repeat(36), "/console"));
    browser.get(base() + "/console");
    assertThat(browser.findElements(By.id("token"))).as("a forged cookie is no login").hasSize(1);
    browser.get(base() + "/console/stream");
    assertThat(browser.getPageSource()).contains("unauthorized").doesNotContain("overview");
    browser.get(base() + "/console");
    browser.findElement(By.id("token")).sendKeys("not-the-admin-token-but-long-enough-000000");
    browser.findElement(By.id("login-button")).click();
    // the click submits the form: wait for the answer page rather than read the one being replaced
    until("the login error shows", () -> text("login-error").contains("Wrong admin token"));
    browser.manage().deleteAllCookies();
  }

  @Test
  @Order(2)
  void aSessionsQueueGrowsAndDrainsLiveAndItsTimelineShowsTheTurns() throws Exception {
    login();
    view("sessions");
    send("alice", "m-1", "first");
    until("alice's turn runs", () -> cell("api:u:alice", "running").equals("1"));
    for (int i = 2; i <= 4; i++) {
      send("alice", "m-" + i, "message " + i);
      int queued = i - 1;
      until("alice's queue shows " + queued, () -> cell("api:u:alice", "queued").equals(String.valueOf(queued)));
    }
    browser.findElement(By.id("session-search")).sendKeys("nobody");
    assertThat(browser.findElements(By.cssSelector("#sessions-table tr[data-session]"))).isEmpty();
    browser.findElement(By.id("session-search")).clear();
    browser.findElement(By.id("session-search")).sendKeys("alice");
    until("the search shows alice", () -> cell("api:u:alice", "queued").equals("3"));
    shot("sessions");
    view("overview");
    until("the overview shows the queue", () -> text("ov-queued").equals("3") && text("ov-running").startsWith("1 /"));
    shot("overview");
    hold.release(1);
    view("sessions");
    until("one message taken", () -> cell("api:u:alice", "queued").equals("2"));
    hold.release(3);
    until("the queue drained", () -> browser.findElements(By.cssSelector("#sessions-table tr[data-session]"))
        .isEmpty() && text("sessions-empty").contains("No session"));
    view("session=" + java.net.URLEncoder.encode("api:u:alice", StandardCharsets.UTF_8));
    until("the timeline shows the four replies", () -> browser.findElements(By.cssSelector("#timeline li.ev-reply"))
        .size() == 4);
    String[] timeline = {""};
    until("the timeline reads whole", () -> (timeline[0] = text("timeline")).contains("reply to m-4"));
    assertThat(timeline[0]).contains("accepted m-1").doesNotContain("message 2").contains("chars hidden");
    shot("timeline");
  }

  @Test
  @Order(3)
  void aDeadlockBetweenTwoToolCallsAppearsWithItsCycleInRed() throws Exception {
    login();
    view("graph");
    send("bob", "d-1", "chain {\"id\":\"bob\",\"first\":\"r0\",\"second\":\"r1\"}");
    assertThat(chain.holding("bob").await(15, TimeUnit.SECONDS)).isTrue();
    send("carol", "d-2", "chain {\"id\":\"carol\",\"first\":\"r1\",\"second\":\"r0\"}");
    assertThat(chain.holding("carol").await(15, TimeUnit.SECONDS)).isTrue();
    chain.go("bob").countDown();
    until("bob waits for r1", () -> !tools.snapshot().waits().isEmpty());
    until("the page shows the wait", () -> !browser.findElements(By.cssSelector("#graph-svg line.edge")).isEmpty());
    chain.go("carol").countDown(); // closes the cycle: detected at once, one call is the victim
    until("the deadlock is drawn", () -> browser.findElements(By.cssSelector("#graph-svg g.node.cycle")).size() == 2
        && browser.findElements(By.cssSelector("#graph-svg line.edge.cycle")).size() == 2);
    assertThat(stroke("#graph-svg g.node.cycle circle")).as("a cycle member is drawn red")
        .isEqualTo("rgb(211, 47, 47)");
    assertThat(stroke("#graph-svg line.edge.cycle")).as("a cycle edge is drawn red").isEqualTo("rgb(211, 47, 47)");
    String victim = tools.recentDeadlocks().getLast().victim();
    assertThat(victim).isNotEmpty();
    String[] table = {""};
    until("the deadlock table", () -> (table[0] = text("deadlocks-table")).contains(victim));
    assertThat(table[0]).contains("res:r0").contains("res:r1").contains("edge");
    assertThat(browser.findElements(By.cssSelector("#graph-svg g.node.victim"))).hasSize(1);
    shot("graph");
    view("deliveries");
    until("the api channel's admissions", () -> browser.findElements(By.cssSelector("#deliveries-table tr[data-channel='api']"))
        .size() == 1);
    shot("deliveries");
    view("cluster");
    until("the cluster view", () -> text("cluster-body").contains("Not in cluster mode"));
    shot("cluster");
  }

  @Test
  @Order(4)
  void aRunningTurnCancelledFromTheConsoleEndsCancelled() throws Exception {
    login();
    view("sessions");
    send("dave", "c-1", "long work");
    until("dave's turn runs", () -> cell("api:u:dave", "running").equals("1"));
    browser.executeScript("document.querySelector(\"#sessions-table tr[data-session='api:u:dave']"
        + " button[data-action='cancel']\").click()"); // one script: the row may be re-rendered between find and click
    until("the console says it cancelled", () -> text("action-result").contains("1 turn(s) cancelled"));
    assertThat(cancelledTurnInterrupted.await(15, TimeUnit.SECONDS)).as("the agent's thread was interrupted").isTrue();
    until("dave is idle", () -> engine.snapshot().sessions().stream()
        .noneMatch(s -> s.session().equals(SessionKey.user("api", "dave"))));
    view("session=" + java.net.URLEncoder.encode("api:u:dave", StandardCharsets.UTF_8));
    until("the timeline shows the cancelled reply", () -> text("timeline").contains("cancelled to c-1"));
    shot("cancelled");
  }
}
