#!/usr/bin/env bash
# Runs the Telegram redelivery workload against the Vercel Chat SDK peer and against `./baton serve` (with its
# start-up cache and, as `baton-noaot`, without it: BATON_AOT=0), side by side, N rounds each (A B C A B C ...),
# and prints one JSON line per run. Copied from ../shared/peers/chat-sdk (its secret token is now 32+ bytes, as
# Baton requires since issue 16).
#   bench/peer/run.sh [rounds] [send_delay_ms]      (from the project root; needs node >= 20, npm, python3)
# The peer: Chat SDK 4.41.1, Telegram adapter, memory state, concurrency "queue", one echo per message.
# Baton: the echo agent, ordering.hold_ms 300, the same stand-in Telegram API. Results go to a temp folder.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"; root="$(pwd)"
rounds=${1:-3}; delay=${2:-0}
[ -x "$root/baton" ] || { echo "run this from Baton's project root" >&2; exit 2; }
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cp "$here/bot.mjs" "$here/package.json" "$work/"
(cd "$work" && npm install --silent --no-audit --no-fund >/dev/null 2>&1) || { echo "npm install failed" >&2; exit 2; }
fp() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1]);s.close()'; }
wait_health() { for _ in $(seq 1 1200); do curl -fsS "http://127.0.0.1:$1/health" >/dev/null 2>&1 && return 0; sleep 0.05; done; return 1; }
run_one() { # run_one chatsdk|baton|baton-noaot TAG
  local d="$work/run-$2"; mkdir -p "$d/data"; local port rport rec srv t0 t1 rss
  port=$(fp); rport=$(fp)
  SEND_DELAY_MS=$delay python3 "$here/telegram_api.py" "$rport" "$d/calls.jsonl" & rec=$!
  t0=$(date +%s.%N)
  if [ "$1" = chatsdk ]; then
    (cd "$work" && PORT=$port API="http://127.0.0.1:$rport" ECHO_MODE=all STRATEGY=queue exec node bot.mjs) >"$d/server.log" 2>&1 & srv=$!
  else
    cat >"$d/baton.yaml" <<YAML
ordering:
  hold_ms: 300
channels:
  api:
    enabled: false
  telegram:
    enabled: true
    bot_token: "123456:bar-token"
    secret_token: "tg_bar_secret-1-0123456789abcdef0123456789"
    api_base_url: "http://127.0.0.1:$rport"
YAML
    aot=1; [ "$1" = baton-noaot ] && aot=0
    (cd "$d/data" && BATON_AOT=$aot exec "$root/baton" serve --config "$d/baton.yaml" --port "$port") >"$d/server.log" 2>&1 & srv=$!
  fi
  wait_health "$port" || { echo "$1 did not start: $(tail -2 "$d/server.log")" >&2; kill $srv $rec 2>/dev/null; return 1; }
  t1=$(date +%s.%N)
  sleep 1; idle=$(ps -o rss= -p "$srv" 2>/dev/null | tr -d ' ')
  python3 "$here/load.py" "http://127.0.0.1:$port/webhooks/telegram" "$d/calls.jsonl" >"$d/result.json"
  rss=$(ps -o rss= -p "$srv" 2>/dev/null | tr -d ' ')
  kill "$srv" "$rec" 2>/dev/null; wait "$srv" "$rec" 2>/dev/null || true
  echo "{\"system\":\"$1\",\"run\":\"$2\",\"send_delay_ms\":$delay,\"start_to_health_s\":$(printf "%.3f" "$(echo "$t1 - $t0" | bc)"),\"rss_idle_kb\":${idle:-0},\"rss_kb\":${rss:-0},\"result\":$(cat "$d/result.json")}"
}
"$root/baton" --version >/dev/null   # builds Baton first if needed, outside the timings
for i in $(seq 1 "$rounds"); do run_one chatsdk "c$i"; run_one baton "b$i"; run_one baton-noaot "n$i"; done
