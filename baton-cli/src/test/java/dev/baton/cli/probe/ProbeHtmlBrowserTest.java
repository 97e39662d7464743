package dev.baton.cli.probe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.baton.cli.Main;
import dev.baton.examples.naivebot.NaiveBot;
import java.io.File;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import picocli.CommandLine;

/**
 * The HTML report of a real probe run (the naive bot with its interleave fault) opened in a real headless
 * Chromium (Debian's chromium and chromium-driver; .ci/run installs them): the verdict, the pattern table and the
 * charts render, and the page loads nothing from anywhere. The screenshot is saved as target/probe-report.png.
 */
class ProbeHtmlBrowserTest {

  static final String SECRET = "probe-test-secret-0123456789abcdef";
  static final File DRIVER = new File("/usr/bin/chromedriver");

  @Test
  void theReportRendersInHeadlessChromiumWithNothingFetched(@TempDir Path dir) throws Exception {
    boolean ci = System.getenv("CI") != null;
    if (!ci) assumeTrue(DRIVER.canExecute(), "no /usr/bin/chromedriver (apt-get install chromium chromium-driver)");
    Path html = dir.resolve("report.html");
    try (NaiveBot bot = NaiveBot.start(0, SECRET, NaiveBot.Fault.INTERLEAVE)) {
      CommandLine cl = Main.commandLine();
      StringWriter out = new StringWriter();
      cl.setOut(new PrintWriter(out, true));
      cl.setErr(new PrintWriter(new StringWriter(), true));
      int exit = cl.execute("probe", "--target", "http://127.0.0.1:" + bot.port(), "--jwt-secret", SECRET,
          "--users", "8", "--messages", "160", "--rate", "200", "--reply-timeout", "3000", "--quiet",
          "--html", html.toString());
      assertThat(exit).as(out.toString()).isEqualTo(1);
    }
    ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(DRIVER)
        .usingAnyFreePort().build();
    ChromeOptions options = new ChromeOptions().setBinary("/usr/bin/chromium")
        .addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1100,1800");
    ChromeDriver browser = new ChromeDriver(service, options);
    try {
      browser.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(30));
      browser.get(html.toUri().toString());
      assertThat(browser.getTitle()).contains("violations found");
      assertThat(browser.findElement(By.id("verdict")).getText()).contains("violations found");
      String table = browser.findElement(By.id("patterns")).getText();
      assertThat(table).contains("interleaving", "FOUND");
      assertThat(browser.findElements(By.tagName("svg"))).hasSizeGreaterThanOrEqualTo(3);
      assertThat(browser.findElements(By.cssSelector("svg polyline"))).isNotEmpty();
      Object fetched = browser.executeScript("return performance.getEntriesByType('resource').length");
      assertThat(((Number) fetched).longValue()).as("resources fetched by the page").isZero();
      File shot = browser.getScreenshotAs(OutputType.FILE);
      Path target = Path.of("target", "probe-report.png");
      Files.createDirectories(target.getParent());
      Files.copy(shot.toPath(), target, StandardCopyOption.REPLACE_EXISTING);
      assertThat(Files.size(target)).isGreaterThan(10_000);
    } finally {
      browser.quit();
    }
  }
}
