#!/usr/bin/env bash
# Recovery experiment (issue 5): N chat requests through the AOT qwenfastproxy to a separate simulator process
# whose chat attempts fail at RATE before any response byte (a seeded mix of 500, 502, 503 and connection reset).
# Reports the client success rate and the upstream attempts per request.
# Usage: bench/recovery/run.sh [N] [RATE] [CONCURRENCY] [RETRY_MAX_ATTEMPTS] [SEED]
# Needs curl. Writes bench/results/<date>-recovery.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-2000}; rate=${2:-0.3}; conc=${3:-16}; retries=${4:-3}; seed=${5:-1}
kinds=500,502,503,reset
sim_port=18090; proxy_port=18153
work=$(mktemp -d)

dotnet publish bench/QwenFastProxy.SimulatorHost -c Release -r linux-x64 -o artifacts/sim >/dev/null
dotnet publish src/QwenFastProxy.Cli -c Release -r linux-x64 -o artifacts/publish >/dev/null

artifacts/sim/qwen-simulator $sim_port 20 0 --fault-rate "$rate" --fault-seed "$seed" --fault-kind $kinds >"$work/sim.out" 2>&1 &
sim_pid=$!
QWEN_API_KEY=bench-key QWEN_API_BASE_URL=http://127.0.0.1:$sim_port/v1 RETRY_MAX_ATTEMPTS=$retries \
  artifacts/publish/qwenfastproxy --port $proxy_port >"$work/proxy.log" 2>&1 &
proxy_pid=$!
trap 'kill $proxy_pid 2>/dev/null || true; kill $sim_pid 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 40); do curl -fs "http://127.0.0.1:$proxy_port/healthz" >/dev/null 2>&1 && break; sleep 0.25; done

body='{"model":"qwen3-coder-plus","messages":[{"role":"user","content":"Write a haiku about retries."}]}'
url="http://127.0.0.1:$proxy_port/v1/chat/completions"
start=$(date +%s.%N)
seq 1 "$n" | xargs -P "$conc" -I{} curl -s -o /dev/null -w '%{http_code}\n' --max-time 120 \
  -H 'Content-Type: application/json' -d "$body" "$url" >"$work/codes" || true
elapsed=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN {printf "%.1f", e-s}')

kill -TERM $sim_pid; wait $sim_pid || true
attempts=$(sed -n 's/^attempts=\([0-9]*\) injected=.*/\1/p' "$work/sim.out")
injected=$(sed -n 's/^attempts=[0-9]* injected=\([0-9]*\)/\1/p' "$work/sim.out")
ok=$(grep -c '^200$' "$work/codes" || true)
total=$(wc -l <"$work/codes")
codes=$(sort "$work/codes" | uniq -c | awk '{printf "%s%s×%s", (NR>1?", ":""), $2, $1}')
opened=$(grep -c 'circuit breaker Closed -> Open' "$work/proxy.log" || true)

out="bench/results/$(date -u +%F)-recovery.md"
{
  echo "# Recovery experiment ($(date -u +%F))"
  echo
  echo "Command: \`bench/recovery/run.sh $n $rate $conc $retries $seed\`"
  echo
  echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr); AOT qwenfastproxy and the AOT simulator host on loopback, curl clients ($conc at a time)."
  echo
  echo "Setup: $n non-streaming chat requests; every upstream attempt fails before any response byte with probability $rate"
  echo "(seed $seed, uniform mix of $kinds); RETRY_MAX_ATTEMPTS=$retries, circuit breaker at its defaults (10 consecutive failures, 30 s)."
  echo
  echo "| figure | value |"
  echo "| --- | ---: |"
  echo "| client requests | $total |"
  echo "| client successes (200) | $ok |"
  echo "| client success rate | $(awk -v a="$ok" -v b="$total" 'BEGIN {printf "%.2f %%", 100*a/b}') |"
  echo "| upstream attempts | $attempts |"
  echo "| faults injected | $injected ($(awk -v a="$injected" -v b="$attempts" 'BEGIN {printf "%.1f %%", 100*a/b}') of attempts) |"
  echo "| upstream attempts per request | $(awk -v a="$attempts" -v b="$total" 'BEGIN {printf "%.3f", a/b}') |"
  echo "| circuit openings | $opened |"
  echo "| wall time | ${elapsed} s |"
  echo
  echo "Client status codes: $codes."
  echo "Expected without retries: $(awk -v r="$rate" 'BEGIN {printf "%.1f %%", 100*(1-r)}') success; with $retries retries and independent attempts: $(awk -v r="$rate" -v k="$retries" 'BEGIN {printf "%.2f %%", 100*(1-r^(k+1))}')."
} | tee "$out"
