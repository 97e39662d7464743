package dev.baton.cli.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

class ReportAndProgressTest {

  @Test
  void percentilesAreNearestRankInMilliseconds() {
    List<Long> nanos = LongStream.rangeClosed(1, 100).map(i -> i * 1_000_000).boxed().toList();
    Map<String, Double> p = DemoReport.percentilesMs(nanos);
    assertThat(p).containsEntry("p50", 50.0).containsEntry("p90", 90.0).containsEntry("p99", 99.0)
        .containsEntry("max", 100.0);
    assertThat(DemoReport.percentilesMs(List.of())).containsEntry("p99", 0.0);
  }

  @Test
  void aPromiseNeverCheckedOrOnceViolatedFailsTheRun() {
    var ok = new DemoReport.PromiseResult("m", 5, 0, List.of());
    assertThat(DemoReport.passed(Map.of("P1", ok))).isTrue();
    assertThat(DemoReport.passed(Map.of("P1", ok, "P2", new DemoReport.PromiseResult("m", 0, 0, List.of()))))
        .isFalse();
    assertThat(DemoReport.passed(Map.of("P1", ok, "P2", new DemoReport.PromiseResult("m", 9, 1, List.of("x")))))
        .isFalse();
  }

  @Test
  void linesProgressPrintsOncePerTenth() {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    Progress p = Progress.lines(new PrintStream(buf, true, StandardCharsets.UTF_8));
    for (long done = 0; done <= 1000; done += 25) p.update(done, 1000);
    p.finish(1000, 1000);
    List<String> lines = buf.toString(StandardCharsets.UTF_8).lines().toList();
    assertThat(lines).hasSize(11).first().asString().startsWith("demo: 0%");
    assertThat(lines.getLast()).isEqualTo("demo: 100% (1,000/1,000 messages resolved)");
  }

  @Test
  void barRedrawsOneLineAndEndsIt() {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    Progress p = Progress.bar(new PrintStream(buf, true, StandardCharsets.UTF_8));
    p.update(50, 100);
    p.finish(100, 100);
    String out = buf.toString(StandardCharsets.UTF_8);
    assertThat(out).startsWith("\r  [####################....................]  50%").endsWith("100/100 messages\n");
    assertThat(out.chars().filter(c -> c == '\n').count()).isEqualTo(1); // redrawn with \r, ended once
  }
}
