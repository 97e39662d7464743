#!/usr/bin/env bash
# Start-up of `baton serve` with and without the JDK AOT cache that ./baton writes once per build, side by side:
# N alternated rounds (default 5), each a cold JVM on the embedded default (SQLite journal in a temp dir).
# Prints, per mode, the median time from exec to the first 200 of /health and the median resident memory one
# second later (idle), and the ratio.       bench/startup.sh [rounds]      (from the project root)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"; rounds=${1:-5}
"$root/baton" --version >/dev/null   # builds Baton and writes its AOT cache first, outside the timings
fp() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1]);s.close()'; }
one() { # one aot|noaot -> "seconds rss_kb"
  local d port t0 t1 pid rss aot=1; [ "$1" = noaot ] && aot=0
  d=$(mktemp -d); port=$(fp)
  t0=$(date +%s.%N)
  BATON_AOT=$aot "$root/baton" serve --port "$port" --data "$d" >"$d/log" 2>&1 & pid=$!
  for _ in $(seq 1 2000); do curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break; sleep 0.01; done
  t1=$(date +%s.%N); sleep 1
  rss=$(ps -o rss= -p "$pid" | tr -d ' ')
  kill "$pid"; wait "$pid" 2>/dev/null || true; rm -rf "$d"
  echo "$(echo "$t1 - $t0" | bc) $rss"
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
: >/tmp/baton-startup.$$
for i in $(seq 1 "$rounds"); do
  echo "aot $(one aot)" >>/tmp/baton-startup.$$; echo "noaot $(one noaot)" >>/tmp/baton-startup.$$
done
for m in aot noaot; do
  t=$(awk -v m=$m '$1==m {print $2}' /tmp/baton-startup.$$ | median)
  r=$(awk -v m=$m '$1==m {print $3}' /tmp/baton-startup.$$ | median)
  printf '%-6s start to /health %.3f s (median of %d)   idle RSS %d MB\n' "$m" "$t" "$rounds" "$((r / 1024))"
  eval "t_$m=$t"
done
printf 'ratio  noaot / aot = %.2f\n' "$(echo "$t_noaot / $t_aot" | bc -l)"
rm -f /tmp/baton-startup.$$
