package dev.baton.cli.demo;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * What the demo's HTTP client saw: requests by method and status, POST latencies (from sending the request to
 * reading the answer), replies received. Thread-safe: counters are {@link LongAdder}s in a
 * {@link ConcurrentHashMap}; latencies go to a synchronized list.
 */
final class HttpFigures {

  private final String gateway;
  private final String store;
  private final Map<String, LongAdder> statuses = new ConcurrentHashMap<>();
  private final LongAdder replies = new LongAdder();
  private final List<Long> postNanos = Collections.synchronizedList(new ArrayList<>());

  HttpFigures(String gateway, String store) {
    this.gateway = gateway;
    this.store = store;
  }

  /** One POST and its status (-1: no answer, the request failed). */
  void post(int status, long nanos) {
    count("POST " + (status < 0 ? "failed" : status));
    postNanos.add(nanos);
  }

  /** One GET /v1/replies and its status (-1: no answer). */
  void poll(int status) {
    count("GET " + (status < 0 ? "failed" : status));
  }

  void reply() {
    replies.increment();
  }

  private void count(String key) {
    statuses.computeIfAbsent(key, k -> new LongAdder()).increment();
  }

  /** The figures for the report: gateway address, store, requests, statuses, POST latency, replies received. */
  Map<String, Object> report() {
    Map<String, Object> out = new LinkedHashMap<>();
    Map<String, Long> byStatus = new TreeMap<>();
    statuses.forEach((k, v) -> byStatus.put(k, v.sum()));
    out.put("gateway", gateway);
    out.put("store", store);
    out.put("requests", byStatus.values().stream().mapToLong(Long::longValue).sum());
    out.put("statuses", byStatus);
    List<Long> copy;
    synchronized (postNanos) {
      copy = List.copyOf(postNanos);
    }
    Map<String, Double> p = DemoReport.percentilesMs(copy);
    Map<String, Double> latency = new LinkedHashMap<>();
    latency.put("p50", round(p.getOrDefault("p50", Double.NaN)));
    latency.put("p99", round(p.getOrDefault("p99", Double.NaN)));
    latency.put("max", round(p.getOrDefault("max", Double.NaN)));
    out.put("post_latency_ms", latency);
    out.put("replies_received", replies.sum());
    return out;
  }

  private static double round(double ms) {
    return Math.round(ms * 100) / 100.0;
  }
}
