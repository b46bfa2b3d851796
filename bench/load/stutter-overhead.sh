#!/usr/bin/env bash
# Cost of the stream repair on a stream that does not stutter: wrk against two AOT proxies in front of
# one simulated upstream (20-chunk streams, no delays), one with STUTTER_FILTER=on and one with off,
# interleaved (on, off, off, on, …). Reports medians of req/s and of wrk's p50/p99 latency.
# Usage: bench/load/stutter-overhead.sh [ROUNDS] [SECONDS] [CONNECTIONS]   (needs wrk)
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-4}; seconds=${2:-8}; conns=${3:-32}
sim_port=18090; on_port=18145; off_port=18146

[ -x artifacts/sim/qwen-simulator ] || dotnet publish bench/QwenFastProxy.SimulatorHost -c Release -r linux-x64 -o artifacts/sim >/dev/null
[ -x artifacts/publish/qwenfastproxy ] || dotnet publish src/QwenFastProxy.Cli -c Release -r linux-x64 -o artifacts/publish >/dev/null

artifacts/sim/qwen-simulator $sim_port 20 0 >/dev/null &
sim=$!
common=(env QWEN_API_KEY=bench-key QWEN_API_BASE_URL=http://127.0.0.1:$sim_port/v1 LOG_FORMAT=text)
"${common[@]}" STUTTER_FILTER=on artifacts/publish/qwenfastproxy --port $on_port >/dev/null 2>&1 &
on=$!
"${common[@]}" STUTTER_FILTER=off artifacts/publish/qwenfastproxy --port $off_port >/dev/null 2>&1 &
off=$!
trap 'kill $sim $on $off 2>/dev/null || true' EXIT
for p in $on_port $off_port; do for _ in $(seq 1 40); do curl -fs "http://127.0.0.1:$p/healthz" >/dev/null 2>&1 && break; sleep 0.25; done; done

run() { # port -> "req/s p50_ms p99_ms"
  STREAM=1 wrk -t"$(( conns < 2 ? 1 : 2 ))" -c"$conns" -d"${seconds}s" --latency -s bench/load/chat.lua "http://127.0.0.1:$1/v1/chat/completions" |
    awk '/Requests\/sec/ {rps=$2} /^ +50%/ {p50=$2} /^ +99%/ {p99=$2}
         function ms(v) { if (v ~ /us$/) return v/1000; if (v ~ /ms$/) return v+0; if (v ~ /s$/) return v*1000; return v }
         END {printf "%s %.3f %.3f\n", rps, ms(p50), ms(p99)}'
}
run $on_port >/dev/null; run $off_port >/dev/null   # warm-up
on_runs=(); off_runs=()
for r in $(seq 1 "$rounds"); do
  if (( r % 2 )); then on_runs+=("$(run $on_port)"); off_runs+=("$(run $off_port)"); else off_runs+=("$(run $off_port)"); on_runs+=("$(run $on_port)"); fi
done
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
col() { local i=$1; shift; printf '%s\n' "$@" | awk -v i="$i" '{print $i}' | median; }
out="bench/results/$(date -u +%F)-stutter-overhead.md"
{
  echo "# Stream repair overhead on a non-stuttering stream ($(date -u +%F))"
  echo
  echo "\`bench/load/stutter-overhead.sh $rounds $seconds $conns\`: wrk -c$conns -d${seconds}s --latency, streaming chat (20 chunks, no delays), two AOT proxies (STUTTER_FILTER on / off) in front of one simulator, $rounds interleaved rounds, medians. Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); wrk, simulator and both proxies share the cores."
  echo
  echo "| STUTTER_FILTER | req/s | p50 ms | p99 ms |"
  echo "| --- | ---: | ---: | ---: |"
  echo "| off | $(col 1 "${off_runs[@]}") | $(col 2 "${off_runs[@]}") | $(col 3 "${off_runs[@]}") |"
  echo "| on | $(col 1 "${on_runs[@]}") | $(col 2 "${on_runs[@]}") | $(col 3 "${on_runs[@]}") |"
  echo
  echo "on / off throughput: $(awk -v a="$(col 1 "${on_runs[@]}")" -v b="$(col 1 "${off_runs[@]}")" 'BEGIN {printf "%.2f", a/b}')"
  echo
  echo "Raw (req/s p50 p99): on: ${on_runs[*]} | off: ${off_runs[*]}"
} | tee "$out"
