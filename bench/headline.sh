#!/usr/bin/env bash
# The headline comparisons of BENCHMARKS.md, side by side in one run, short enough to run after every change
# (about 2 minutes on 2 cores, build included): engine vs Pekko (JMH), durable ingest vs raw SQLite/PostgreSQL, and
# POST /v1/messages over loopback on the memory store vs the SQLite journal (wrk; installed with apt-get when
# missing and running as root, else that part is skipped). Prints each figure, the ratio and the target.
#   bench/headline.sh            # everything
#   BENCH_SKIP=gateway bench/headline.sh   # skip a part: engine, store, gateway (comma-separated)
# Timings on shared machines are noisy: compare ratios from one run, never absolute figures across runs.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
cd "$here"
. bin/jdk.sh; baton_find_jdk; baton_find_mvn
export PATH="$JAVA_HOME/bin:$PATH"
skip=",${BENCH_SKIP:-},"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
summary=()

echo "== building the benchmarks (once)" >&2
"$MVN" -B -q -ntp -pl baton-benchmarks -am package -DskipTests >&2
jar=baton-benchmarks/target/benchmarks.jar

if [[ "$skip" != *",engine,"* ]]; then
  echo "== engine vs Pekko (JMH, one fork, 3 x 2 s)" >&2
  java -jar "$jar" 'engine.EngineThroughputBench|engine.PekkoThroughputBench' -wi 1 -i 3 -r 2 -w 2 -f 1 \
    -jvm "$JAVA_HOME/bin/java" -rf csv -rff "$out/engine.csv" >&2
  baton=$(awk -F, '/EngineThroughputBench/ {gsub(/"/,"",$5); print $5}' "$out/engine.csv")
  pekko=$(awk -F, '/PekkoThroughputBench/ {gsub(/"/,"",$5); print $5}' "$out/engine.csv")
  summary+=("$(awk -v b="$baton" -v p="$pekko" 'BEGIN {printf "engine      Baton %.0f msgs/s, Pekko %.0f msgs/s: %.2fx Pekko (target >= 1.0x)", b, p, b / p}')")
fi

if [[ "$skip" != *",store,"* ]]; then
  echo "== durable ingest vs raw SQLite / PostgreSQL (3 s, 1 round, 256 clients)" >&2
  java -cp "$jar" dev.baton.bench.store.StoreIngestBench 3 1 256 | tee "$out/store.txt" >&2
  while read -r line; do summary+=("store       $line (target >= 0.5)"); done < <(grep -E '^(sqlite|postgres): baton / raw' "$out/store.txt")
fi

if [[ "$skip" != *",gateway,"* ]]; then
  if ! command -v wrk >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "== installing wrk" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null 2>&1 || true
  fi
  if command -v wrk >/dev/null; then
    for store in memory sqlite; do
      echo "== POST /v1/messages, $store store, wrk 64 connections, 10 s" >&2
      baton-gateway/bench/run.sh "$store" 64 10 | tee "$out/gw-$store.txt" >&2
    done
    rate() { awk '/Requests\/sec/ {print $2}' "$1"; }
    p99() { awk '$1 == "99%" {print $2}' "$1"; }
    m=$(rate "$out/gw-memory.txt"); s=$(rate "$out/gw-sqlite.txt")
    summary+=("gateway     memory $m req/s (p99 $(p99 "$out/gw-memory.txt")), sqlite $s req/s (p99 $(p99 "$out/gw-sqlite.txt")): sqlite $(awk -v s="$s" 'BEGIN {printf "%.2f", s / 20000}')x of 20,000/s (target >= 1.0x, p99 < 20 ms)")
  else
    summary+=("gateway     skipped: wrk is not installed (apt-get install -y wrk)")
  fi
fi

echo
echo "Headline, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(java -version 2>&1 | head -1)"
for line in "${summary[@]}"; do echo "  $line"; done
