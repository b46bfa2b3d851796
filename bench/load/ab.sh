#!/usr/bin/env bash
# A/B of two builds of qwenfastproxy on this machine: the AOT binary of a git ref (A, the baseline) against the
# AOT binary of the working tree (B), both in front of the same simulated upstream, run in interleaved rounds
# (A B, B A, ...) so drift on a noisy box evens out. Per run: wrk req/s and the proxy's CPU time per request
# (utime+stime from /proc before and after, divided by the requests wrk completed).
#
# Usage: bench/load/ab.sh REF [NAME]
#   REF   the baseline commit (e.g. HEAD~3 or a hash); NAME names the result file (default ab)
#   ROUNDS=6 SECONDS_PER_RUN=6 CONNS=64 WARMUP=4 bench/load/ab.sh 199f4e6 relay-refactor
#   A_ENV / B_ENV: extra environment for one side, e.g. A_ENV="DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=0"
#   bench/load/ab.sh HEAD inline-off compares a runtime switch within one build.
#   B_JIT=1: B is the working tree run by the JIT instead of native AOT.
# Writes bench/results/<date>-<NAME>.md (OUT=/tmp/x writes /tmp/x.md instead). Needs wrk (apt-get installs it when
# missing and root). Everything binds to 127.0.0.1: simulator 18080, A 18143, B 18153.
# bombardier equivalent of one run (not installable here): bombardier -c 64 -d 6s -m POST -H 'Content-Type:
#   application/json' -H 'Authorization: Bearer demo-access-token' -f bench/load/request.json http://127.0.0.1:18143/v1/chat/completions
set -euo pipefail
cd "$(dirname "$0")/../.."
ref=${1:?usage: bench/load/ab.sh REF [NAME]}
name=${2:-ab}
rounds=${ROUNDS:-6}; seconds=${SECONDS_PER_RUN:-6}; conns=${CONNS:-64}; warmup=${WARMUP:-4}
threads=$(( conns < 2 ? conns : 2 )) # wrk wants at least one connection per thread
out=${OUT:-bench/results/$(date -u +%F)-$name}
sim_port=18080; a_port=18143; b_port=18153

if ! command -v wrk >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
for port in $sim_port $a_port $b_port; do
  if (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; then echo "port $port is in use" >&2; exit 1; fi
done

base_commit=$(git rev-parse --short "$ref")
head_commit=$(git rev-parse --short HEAD)
dirty=$([ -n "$(git status --porcelain --untracked-files=no)" ] && echo " + uncommitted changes" || true)
worktree=$(mktemp -d)/ab-base
git worktree add -q --detach "$worktree" "$ref"
cleanup() {
  kill "${pids[@]}" 2>/dev/null || true
  git worktree remove --force "$worktree" 2>/dev/null || true
}
pids=()
trap cleanup EXIT

echo "building: simulator, A ($base_commit), B ($head_commit$dirty$([ "${B_JIT:-0}" = 1 ] && echo ", JIT"))"
dotnet publish bench/QwenFastProxy.SimulatorHost -c Release -r linux-x64 -o artifacts/sim >/dev/null
dotnet publish "$worktree/src/QwenFastProxy.Cli" -c Release -r linux-x64 -o artifacts/ab-a >/dev/null
if [ "${B_JIT:-0}" = 1 ]; then # the same code run by the JIT (tiered, with dynamic PGO): a ceiling for the AOT build
  rm -rf artifacts/ab-b
  dotnet publish src/QwenFastProxy.Cli -c Release -r linux-x64 -p:PublishAot=false -p:SelfContained=false -o artifacts/ab-b >/dev/null
else
  dotnet publish src/QwenFastProxy.Cli -c Release -r linux-x64 -o artifacts/ab-b >/dev/null
fi

artifacts/sim/qwen-simulator $sim_port 20 0 >/dev/null &
pids+=($!)
start_proxy() { # binary port extra-env -> pid
  # Each its own state folder: the usage ledger's file is not shared between processes.
  # shellcheck disable=SC2086 # the extra environment is a list of NAME=value words
  env STATE_DIR="$(mktemp -d)" QWEN_API_KEY=bench-key QWEN_API_BASE_URL=http://127.0.0.1:$sim_port/v1 LOG_FORMAT=text $3 \
    "$1" --port "$2" >/dev/null 2>&1 &
  echo $!
}
a_pid=$(start_proxy artifacts/ab-a/qwenfastproxy $a_port "${A_ENV:-}"); pids+=("$a_pid")
b_pid=$(start_proxy artifacts/ab-b/qwenfastproxy $b_port "${B_ENV:-}"); pids+=("$b_pid")
for port in $a_port $b_port; do
  for _ in $(seq 1 80); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.25; done
done

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
# Context switches and futex calls of the proxy (all its threads) while wrk runs, when perf can count them.
perf_ok=$(perf stat -e context-switches,syscalls:sys_enter_futex true >/dev/null 2>&1 && echo 1 || echo 0)
run() { # port pid stream seconds -> "req/s cpu_us_per_request switches_per_request futex_per_request"
  local before after output requests counts perf_pid
  counts=$(mktemp)
  if [ "$perf_ok" = 1 ]; then
    perf stat -x, -e context-switches,syscalls:sys_enter_futex -p "$2" -o "$counts" &
    perf_pid=$!
  fi
  before=$(cpu_ticks "$2")
  output=$(STREAM=$3 wrk -t"$threads" -c"$conns" -d"$4s" -s bench/load/chat.lua "http://127.0.0.1:$1/v1/chat/completions")
  after=$(cpu_ticks "$2")
  if [ "$perf_ok" = 1 ]; then kill -INT "$perf_pid"; wait "$perf_pid" 2>/dev/null || true; fi
  requests=$(awk '/requests in/ {print $1}' <<<"$output")
  awk -v rps="$(awk '/Requests\/sec/ {print $2}' <<<"$output")" -v t=$((after - before)) -v hz="$hz" -v n="$requests" \
    -v cs="$(awk -F, '/context-switches/ {print $1}' "$counts")" -v fx="$(awk -F, '/futex/ {print $1}' "$counts")" \
    'BEGIN {printf "%s %.1f %.2f %.2f\n", rps, (n > 0 ? t / hz * 1e6 / n : 0), (n > 0 ? cs / n : 0), (n > 0 ? fx / n : 0)}'
  rm -f "$counts"
}

if (( warmup > 0 )); then
  echo "warming up"
  for stream in 0 1; do run $a_port "$a_pid" $stream "$warmup" >/dev/null; run $b_port "$b_pid" $stream "$warmup" >/dev/null; done
fi

declare -A rps cpu csw ftx
for r in $(seq 1 "$rounds"); do
  for stream in 0 1; do
    order=$( (( (r + stream) % 2 )) && echo "a b" || echo "b a")
    for side in $order; do
      if [ "$side" = a ]; then read -r q c w f < <(run $a_port "$a_pid" $stream "$seconds"); else read -r q c w f < <(run $b_port "$b_pid" $stream "$seconds"); fi
      rps[$side$stream]+="$q "; cpu[$side$stream]+="$c "; csw[$side$stream]+="$w "; ftx[$side$stream]+="$f "
      echo "round $r stream=$stream $side: $q req/s, $c µs CPU/request, $w context switches/request, $f futex calls/request"
    done
  done
done

median() { tr ' ' '\n' <<<"$1" | grep . | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", a/b}'; }
{
  echo "# A/B: $base_commit (A) vs $head_commit$dirty$([ "${B_JIT:-0}" = 1 ] && echo ", run by the JIT,") (B) — $name ($(date -u +%F))"
  echo
  echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(uname -sr)."
  echo "bench/load/ab.sh: $([ "${B_JIT:-0}" = 1 ] && echo "A's AOT binary and B's JIT build" || echo "both AOT binaries") in front of one simulator (20 chunks per stream, no delays), wrk -t$threads -c$conns -d${seconds}s,"
  echo "$rounds interleaved rounds after a ${warmup}s warm-up each, medians; wrk, simulator and both proxies share the cores."
  [ -z "${A_ENV:-}${B_ENV:-}" ] || echo "Extra environment: A: ${A_ENV:-none}; B: ${B_ENV:-none}."
  echo
  echo "| workload | A req/s | B req/s | B/A | A CPU µs/req | B CPU µs/req | B/A | A switches/req | B switches/req | A futex/req | B futex/req |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
  for stream in 0 1; do
    label=$([ $stream = 0 ] && echo "non-streaming chat" || echo "streaming chat (20 chunks)")
    ra=$(median "${rps[a$stream]}"); rb=$(median "${rps[b$stream]}"); ca=$(median "${cpu[a$stream]}"); cb=$(median "${cpu[b$stream]}")
    echo "| $label | $ra | $rb | $(ratio "$rb" "$ra") | $ca | $cb | $(ratio "$cb" "$ca") | $(median "${csw[a$stream]}") | $(median "${csw[b$stream]}") | $(median "${ftx[a$stream]}") | $(median "${ftx[b$stream]}") |"
  done
  echo
  [ "$perf_ok" = 1 ] || echo "(perf could not count context switches or futex calls on this machine: those columns are 0.)"
  echo "Raw runs (req/s; CPU µs/request; context switches/request; futex calls/request):"
  for key in a0 b0 a1 b1; do echo "- $key: ${rps[$key]}; ${cpu[$key]}; ${csw[$key]}; ${ftx[$key]}"; done
} | tee "$out.md"
