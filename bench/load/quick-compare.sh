#!/usr/bin/env bash
# A first load figure: wrk against the simulated upstream directly, and through the AOT qwenfastproxy,
# interleaved (direct, proxy, proxy, direct, …) so drift on a noisy machine evens out.
# Usage: bench/load/quick-compare.sh [ROUNDS] [SECONDS] [CONNECTIONS]
# Needs wrk (apt-get install wrk). Writes bench/results/<date>-quick-compare.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-3}; seconds=${2:-10}; conns=${3:-64}
sim_port=18080; proxy_port=18143

dotnet publish bench/QwenFastProxy.SimulatorHost -c Release -r linux-x64 -o artifacts/sim >/dev/null
dotnet publish src/QwenFastProxy.Cli -c Release -r linux-x64 -o artifacts/publish >/dev/null

artifacts/sim/qwen-simulator $sim_port 20 0 >/dev/null &
sim_pid=$!
QWEN_API_KEY=bench-key QWEN_API_BASE_URL=http://127.0.0.1:$sim_port/v1 LOG_FORMAT=text \
  artifacts/publish/qwenfastproxy --port $proxy_port >/tmp/qfp-bench.log 2>&1 &
proxy_pid=$!
trap 'kill $sim_pid $proxy_pid 2>/dev/null || true' EXIT
for _ in $(seq 1 40); do curl -fs "http://127.0.0.1:$proxy_port/healthz" >/dev/null 2>&1 && break; sleep 0.25; done

idle_rss=$(awk '/VmRSS/ {print $2}' /proc/$proxy_pid/status)
direct="http://127.0.0.1:$sim_port/v1/chat/completions"
proxied="http://127.0.0.1:$proxy_port/v1/chat/completions"
run() { # url stream -> req/s
  STREAM=$2 wrk -t2 -c"$conns" -d"${seconds}s" -s bench/load/chat.lua "$1" | awk '/Requests\/sec/ {print $2}'
}
echo "warming up (JIT of the simulator, pools)…"
run "$direct" 0 >/dev/null; run "$proxied" 0 >/dev/null

declare -a d_ns p_ns d_s p_s
for r in $(seq 1 "$rounds"); do
  if (( r % 2 )); then
    d_ns+=("$(run "$direct" 0)"); p_ns+=("$(run "$proxied" 0)"); p_s+=("$(run "$proxied" 1)"); d_s+=("$(run "$direct" 1)")
  else
    p_ns+=("$(run "$proxied" 0)"); d_ns+=("$(run "$direct" 0)"); d_s+=("$(run "$direct" 1)"); p_s+=("$(run "$proxied" 1)")
  fi
done
peak_rss=$(awk '/VmHWM/ {print $2}' /proc/$proxy_pid/status)
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
mdn=$(median "${d_ns[@]}"); mpn=$(median "${p_ns[@]}"); mds=$(median "${d_s[@]}"); mps=$(median "${p_s[@]}")
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a/b}'; }

out="bench/results/$(date -u +%F)-quick-compare.md"
{
  echo "# Quick compare: direct to the simulator vs. through qwenfastproxy ($(date -u +%F))"
  echo
  echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr); wrk -t2 -c$conns -d${seconds}s, $rounds interleaved rounds, medians."
  echo "Everything (wrk, simulator, proxy) shares the same cores, so the proxied figure also pays for the simulator's work."
  echo "Binary: $(stat -c %s artifacts/publish/qwenfastproxy) bytes; idle RSS ${idle_rss} kB; peak RSS during the run ${peak_rss} kB."
  echo
  echo "| workload | direct req/s | through proxy req/s | proxy / direct |"
  echo "| --- | ---: | ---: | ---: |"
  echo "| non-streaming chat (~0.9 KB request) | $mdn | $mpn | $(ratio "$mpn" "$mdn") |"
  echo "| streaming chat (20 chunks) | $mds | $mps | $(ratio "$mps" "$mds") |"
  echo
  echo "Raw runs: direct non-streaming ${d_ns[*]}; proxy non-streaming ${p_ns[*]}; direct streaming ${d_s[*]}; proxy streaming ${p_s[*]}."
} | tee "$out"
