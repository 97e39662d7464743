package dev.baton.cli.probe;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/*
 * Overview: the probe's report as one self-contained HTML page: no script, no stylesheet or font from the
 * network, charts drawn as inline SVG. Every text that came from the target (examples quote replies) is escaped.
 *
 * Stateless.
 */
public final class ProbeHtml {

  private ProbeHtml() {}

  private static final String[] COLORS = {"#2563eb", "#d97706", "#7c3aed"};

  public static String render(ProbeReport r) {
    StringBuilder b = new StringBuilder(16_384);
    String verdict = !r.problem().isEmpty() ? "could not drive the target"
        : r.violations() == 0 ? "nothing found" : r.violations() + " violations found";
    b.append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>baton probe: ")
        .append(esc(verdict)).append("</title><style>")
        .append("body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#111}h1{font-size:20px}")
        .append("table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}")
        .append(".ok{color:#15803d;font-weight:600}.bad{color:#b91c1c;font-weight:600}.na{color:#777}")
        .append("svg{background:#fafafa;border:1px solid #ddd;margin:4px 12px 12px 0}code{font-size:12px}")
        .append("</style></head><body>");
    b.append("<h1 id=\"verdict\" class=\"").append(r.exitCode() == 0 ? "ok" : "bad").append("\">baton probe: ")
        .append(esc(verdict)).append("</h1>");
    b.append("<p>target <code>").append(esc(r.target())).append("</code>, level ")
        .append(esc(r.level().toLowerCase(Locale.ROOT))).append(", seed ").append(r.seed()).append("</p>");
    if (!r.problem().isEmpty()) b.append("<p class=\"bad\">").append(esc(r.problem())).append("</p>");
    b.append("<h2>Patterns</h2><table id=\"patterns\"><tr><th>pattern</th><th>what it means</th><th>checked</th>"
        + "<th>violations</th><th>verdict</th></tr>");
    r.patterns().forEach((name, p) -> {
      String cls = p.checked() < 0 ? "na" : p.violations() == 0 ? "ok" : "bad";
      b.append("<tr><td>").append(esc(name)).append("</td><td>").append(esc(ProbeReport.PATTERNS.getOrDefault(name, "")))
          .append("</td><td>").append(p.checked() < 0 ? "-" : Long.toString(p.checked())).append("</td><td>")
          .append(p.violations()).append("</td><td class=\"").append(cls).append("\">")
          .append(p.checked() < 0 ? "not checked at this level" : p.violations() == 0 ? "ok" : "FOUND")
          .append("</td></tr>");
    });
    b.append("</table>");
    var t = r.throughput();
    b.append(String.format(Locale.ROOT, "<p>%d deliveries sent (%d accepted, %d busy, %d refused) in %.1f s = "
        + "%.0f/s; %d replies (%.0f/s)</p>", t.sent(), t.accepted(), t.busy(), t.refused(), t.seconds(),
        t.sentPerSecond(), t.replies(), t.repliesPerSecond()));
    b.append("<h2>Latency (ms, from the intended send time)</h2><table><tr><th>outcome</th><th>n</th><th>p50</th>"
        + "<th>p90</th><th>p99</th><th>p99.9</th><th>max</th></tr>");
    r.latencyMs().forEach((o, l) -> b.append(String.format(Locale.ROOT,
        "<tr><td>%s</td><td>%d</td><td>%.2f</td><td>%.2f</td><td>%.2f</td><td>%.2f</td><td>%.2f</td></tr>",
        esc(o), l.count(), l.p50(), l.p90(), l.p99(), l.p999(), l.max())));
    b.append("</table>");
    b.append(lines("latency CDF", r.cdf(), "ms", "fraction"));
    for (Map.Entry<String, List<ProbeReport.Point>> e : r.histogram().entrySet()) {
      if (!e.getValue().isEmpty()) b.append(bars("histogram: " + e.getKey(), e.getValue()));
    }
    b.append(timeline(r.timeline()));
    b.append("<h2>Evidence</h2>");
    boolean any = false;
    for (var e : r.patterns().entrySet()) {
      if (e.getValue().examples().isEmpty()) continue;
      any = true;
      b.append("<h3>").append(esc(e.getKey())).append("</h3><table><tr><th>message</th><th>user</th><th>at (s)</th>"
          + "<th>what</th></tr>");
      for (var x : e.getValue().examples()) {
        b.append("<tr><td><code>").append(esc(x.message())).append("</code></td><td>").append(esc(x.user()))
            .append("</td><td>").append(String.format(Locale.ROOT, "%.3f", x.atSeconds())).append("</td><td>")
            .append(esc(x.detail())).append("</td></tr>");
      }
      b.append("</table>");
    }
    if (!any) b.append("<p>No violation.</p>");
    return b.append("</body></html>\n").toString();
  }

  private static String lines(String title, Map<String, List<ProbeReport.Point>> series, String xl, String yl) {
    double maxX = series.values().stream().flatMap(List::stream).mapToDouble(ProbeReport.Point::x).max().orElse(1);
    maxX = Math.max(maxX, 1e-3);
    int w = 520, h = 240, pad = 36;
    StringBuilder s = svgStart(title, w, h);
    axes(s, w, h, pad, String.format(Locale.ROOT, "%.1f %s", maxX, xl), yl);
    int i = 0;
    for (var e : series.entrySet()) {
      String color = COLORS[i % COLORS.length];
      if (!e.getValue().isEmpty()) {
        s.append("<polyline fill=\"none\" stroke=\"").append(color).append("\" stroke-width=\"2\" points=\"");
        for (var p : e.getValue()) {
          s.append(String.format(Locale.ROOT, "%.1f,%.1f ", pad + (w - 2 * pad) * p.x() / maxX,
              h - pad - (h - 2 * pad) * p.y()));
        }
        s.append("\"/>");
      }
      s.append("<text x=\"").append(w - pad - 80).append("\" y=\"").append(pad + 14 * i).append("\" fill=\"")
          .append(color).append("\" font-size=\"12\">").append(esc(e.getKey())).append("</text>");
      i++;
    }
    return s.append("</svg>").toString();
  }

  private static String bars(String title, List<ProbeReport.Point> points) {
    int w = 520, h = 200, pad = 36;
    double maxY = points.stream().mapToDouble(ProbeReport.Point::y).max().orElse(1);
    StringBuilder s = svgStart(title, w, h);
    axes(s, w, h, pad, String.format(Locale.ROOT, "≤ %.1f ms", points.getLast().x()), "count");
    double bw = (w - 2.0 * pad) / points.size();
    for (int i = 0; i < points.size(); i++) {
      double bh = (h - 2 * pad) * points.get(i).y() / Math.max(1, maxY);
      s.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\">"
          + "<title>≤ %.2f ms: %.0f</title></rect>", pad + i * bw + 1, h - pad - bh, Math.max(1, bw - 2), bh,
          COLORS[0], points.get(i).x(), points.get(i).y()));
    }
    return s.append("</svg>").toString();
  }

  private static String timeline(List<ProbeReport.Tick> ticks) {
    int w = 720, h = 240, pad = 36;
    double max = 1;
    for (var t : ticks) max = Math.max(max, Math.max(t.sent(), Math.max(t.replies(), t.violations())));
    double span = ticks.isEmpty() ? 1 : ticks.getLast().at() + (ticks.size() > 1 ? ticks.get(1).at() : 1);
    StringBuilder s = svgStart("throughput and violations per second", w, h);
    axes(s, w, h, pad, String.format(Locale.ROOT, "%.1f s", span), String.format(Locale.ROOT, "per second (max %.0f)", max));
    double dx = (w - 2.0 * pad) / Math.max(1, ticks.size());
    for (int i = 0; i < ticks.size(); i++) {
      var t = ticks.get(i);
      double vh = (h - 2 * pad) * t.violations() / max;
      if (t.violations() > 0) {
        s.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
            + "fill=\"#dc2626\" opacity=\"0.6\"/>", pad + i * dx, h - pad - vh, Math.max(1, dx - 1), vh));
      }
    }
    String[] names = {"sent", "replies"};
    for (int k = 0; k < 2; k++) {
      s.append("<polyline fill=\"none\" stroke=\"").append(COLORS[k]).append("\" stroke-width=\"2\" points=\"");
      for (int i = 0; i < ticks.size(); i++) {
        var t = ticks.get(i);
        double v = k == 0 ? t.sent() : t.replies();
        s.append(String.format(Locale.ROOT, "%.1f,%.1f ", pad + (i + 0.5) * dx,
            h - pad - (h - 2 * pad) * v / max));
      }
      s.append("\"/><text x=\"").append(w - pad - 160 + 60 * k).append("\" y=\"").append(pad - 8)
          .append("\" fill=\"").append(COLORS[k]).append("\" font-size=\"12\">").append(names[k]).append("</text>");
    }
    s.append("<text x=\"").append(w - pad - 40).append("\" y=\"").append(pad - 8)
        .append("\" fill=\"#dc2626\" font-size=\"12\">violations</text>");
    return s.append("</svg>").toString();
  }

  private static StringBuilder svgStart(String title, int w, int h) {
    StringBuilder s = new StringBuilder();
    s.append("<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" width=\"").append(w).append("\" height=\"")
        .append(h).append("\" viewBox=\"0 0 ").append(w).append(' ').append(h).append("\"><title>")
        .append(esc(title)).append("</title><text x=\"8\" y=\"16\" font-size=\"13\" font-weight=\"600\">")
        .append(esc(title)).append("</text>");
    return s;
  }

  private static void axes(StringBuilder s, int w, int h, int pad, String xLabel, String yLabel) {
    s.append("<line x1=\"").append(pad).append("\" y1=\"").append(h - pad).append("\" x2=\"").append(w - pad)
        .append("\" y2=\"").append(h - pad).append("\" stroke=\"#555\"/>");
    s.append("<line x1=\"").append(pad).append("\" y1=\"").append(pad).append("\" x2=\"").append(pad)
        .append("\" y2=\"").append(h - pad).append("\" stroke=\"#555\"/>");
    s.append("<text x=\"").append(w - pad).append("\" y=\"").append(h - pad + 16)
        .append("\" text-anchor=\"end\" font-size=\"11\">").append(esc(xLabel)).append("</text>");
    s.append("<text x=\"").append(pad + 4).append("\" y=\"").append(pad - 4).append("\" font-size=\"11\">")
        .append(esc(yLabel)).append("</text>");
  }

  static String esc(String s) {
    StringBuilder b = new StringBuilder(s.length() + 16);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '<' -> b.append("&lt;");
        case '>' -> b.append("&gt;");
        case '&' -> b.append("&amp;");
        case '"' -> b.append("&quot;");
        case '\'' -> b.append("&#39;");
        default -> b.append(c);
      }
    }
    return b.toString();
  }
}
