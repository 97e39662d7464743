#!/usr/bin/env bash
# Loopback load test of POST /v1/messages with wrk (apt-get install -y wrk).
#   baton-gateway/bench/run.sh [memory|sqlite|gateway-only] [connections] [seconds]
# Starts LoadServer (gateway + real engine + echo agent) on 127.0.0.1:8089, runs wrk, stops the server.
set -euo pipefail
here="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$here"
. bin/jdk.sh; baton_find_jdk; baton_find_mvn
export PATH="$JAVA_HOME/bin:$PATH"
store="${1:-memory}"; conns="${2:-64}"; secs="${3:-20}"
"$MVN" -B -q -ntp -pl baton-gateway -am test-compile dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile=/tmp/baton-gw-cp.txt >/dev/null
cp="baton-gateway/target/test-classes:baton-gateway/target/classes:$(cat /tmp/baton-gw-cp.txt)"
tokens=$(mktemp)
java -Xmx2g -XX:+UseZGC ${BATON_BENCH_JAVA_OPTS:-} -Dlogback.configurationFile=/dev/null -cp "$cp" dev.baton.gateway.bench.LoadServer 8089 1000 "$tokens" $store &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null || true; rm -f "$tokens"' EXIT
for i in $(seq 1 100); do [ -s "$tokens" ] && curl -sf http://127.0.0.1:8089/health >/dev/null && break; sleep 0.2; done
# BATON_BENCH_CONSOLE=1: the console open during the run (logged in, its live stream attached, plus a
# GET /v1/events client of user-0); =0: the console enabled but no page open. Unset: no admin token at all.
if [ -n "${BATON_BENCH_CONSOLE:-}" ] && [ "${BATON_BENCH_CONSOLE}" = 1 ]; then
  jar=$(mktemp)
  # the token goes through stdin, not the command line
  printf %s "$BATON_BENCH_ADMIN_TOKEN" | curl -s -o /dev/null -c "$jar" --data-urlencode "token@-" \
    http://127.0.0.1:8089/console/login
  grep -q baton_console "$jar" || { echo "console login failed" >&2; exit 1; }
  curl -sN -b "$jar" http://127.0.0.1:8089/console/stream >/dev/null &
  console_pid=$!
  curl -sN -H "Authorization: Bearer $(head -1 "$tokens")" http://127.0.0.1:8089/v1/events >/dev/null &
  events_pid=$!
  trap 'kill $pid $console_pid $events_pid 2>/dev/null; wait $pid 2>/dev/null || true; rm -f "$tokens" "$jar"' EXIT
  sleep 1; echo "console stream and event stream attached"
fi
wrk -t2 -c"$conns" -d5s -s baton-gateway/bench/post-messages.lua http://127.0.0.1:8089 -- "$tokens" >/dev/null # warm-up
wrk -t2 -c"$conns" -d"${secs}s" --latency -s baton-gateway/bench/post-messages.lua http://127.0.0.1:8089 -- "$tokens"
