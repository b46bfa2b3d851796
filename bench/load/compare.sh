#!/usr/bin/env bash
# Side-by-side load comparison (issue 7, item 1): the simulated Qwen upstream hit directly, and through
# qwenfastproxy (AOT), nginx (bench/load/nginx.conf) and YARP (bench/YarpBaseline), all on this machine,
# interleaved and repeated (A B C D, D C B A, ...) so drift on a noisy 2-core box evens out.
#
# Phases (PHASES, default "ns s lat hey slow startup"; any subset, e.g. PHASES="slow startup"):
#   ns       (a) wrk, bench/load/chat.lua: non-streaming chat completion (bench/load/request.json), CONNS connections
#   s        (b) wrk: streaming chat completion, 20 chunks, no delays, CONNS connections
#   lat      (c) wrk: non-streaming, 1 connection: added latency = p50/p99 minus the direct path's
#   hey      (e) hey: the non-streaming workload again, CONNS connections, a second opinion on wrk (apt-get install
#                -y hey when missing and root; without it the phase is skipped and the report says so)
#   slow     (d) SLOW_STREAMS concurrent slow streams (default 1,000 x 30 chunks, one a second) against each peer in
#                turn, opened by bench/QwenFastProxy.StreamLoad (over SLOW_RAMP_MS) and checked one by one: status
#                200, every content chunk in order, the simulator's exact text, `data: [DONE]`, body end. A second
#                simulator (`qwen-simulator PORT SLOW_CHUNKS SLOW_DELAY_MS`) and a fresh copy of each proxy in front
#                of it run on their own ports (+10), so the figures are idle RSS after start and peak RSS (VmRSS of
#                the process family sampled every 0.5 s; nginx = master + workers) of that phase alone.
#   startup  (f) exec of the AOT qwenfastproxy to its first 200 on /healthz, median of STARTUP_RUNS starts (the
#                .NET probe polls every ~0.2 ms), and the AOT binary's size.
# ns, s, lat and hey run in interleaved rounds after a warm-up; slow and startup follow, with the round peers stopped.
# Per proxy the rounds also read /proc: CPU time per request (utime+stime before/after each run, summed over the
# process and its children, e.g. nginx workers, divided by the requests completed) and RSS (VmRSS after each run,
# VmHWM at the end; nginx is the sum of master and workers).
#
# Usage: bench/load/compare.sh            (defaults: ~10-12 minutes on 2 cores, builds included; (d) alone ~2.5 min)
#   ROUNDS=3 SECONDS_PER_RUN=6 CONNS=64 WARMUP=12 PEERS="direct qwenfastproxy nginx yarp" bench/load/compare.sh
#   PHASES="ns s lat hey slow startup" SLOW_STREAMS=1000 SLOW_CHUNKS=30 SLOW_DELAY_MS=1000 SLOW_RAMP_MS=1000 STARTUP_RUNS=10
#   quick check: OUT=/tmp/compare-trial PHASES="ns hey slow startup" ROUNDS=1 SECONDS_PER_RUN=2 WARMUP=2 SLOW_STREAMS=100 SLOW_CHUNKS=5 \
#     SLOW_DELAY_MS=200 STARTUP_RUNS=3 SKIP_BUILD=1 bench/load/compare.sh
#   NGINX_ACCESS_LOG=on: nginx writes a buffered access log (off by default, as in bench/load/nginx.conf).
#   SKIP_BUILD=1 reuses artifacts/{sim,publish,yarp,streamload}. Root is needed only to apt-get install nginx/hey.
#   SIM_PORT=18080 QFP_PORT=18143 NGINX_PORT=18144 YARP_PORT=18145: the slow phase listens on each + 10 and the start-up
#   probe on QFP_PORT + 20; all must be free (checked before anything starts). WARMUP=0 skips the warm-up. The script raises ulimit -n itself (1,000 proxied streams = 2,000+ sockets).
# Writes bench/results/<date>-compare.md and bench/results/<date>-compare.svg (req/s of the round phases); OUT=/tmp/x
# writes /tmp/x.md and /tmp/x.svg instead (trial runs must not overwrite the day's recorded result).
# Everything binds and talks to 127.0.0.1 only. The load generators, the simulator and the proxy share the cores.
#
# Equivalent bombardier commands (bombardier is not installable here), with bench/load/request.json as the body
# (and a copy with "stream":true as request-stream.json); PORT = 18080 direct, 18143 qwenfastproxy, 18144 nginx,
# 18145 YARP:
#   # (a) non-streaming, 64 connections; phase (e) runs the same with hey:
#   #   hey -z 10s -c 64 -m POST -T application/json -H 'Authorization: Bearer demo-access-token' \
#   #     -D bench/load/request.json http://127.0.0.1:PORT/v1/chat/completions
#   bombardier -c 64 -d 10s -l -m POST -H 'Content-Type: application/json' \
#     -H 'Authorization: Bearer demo-access-token' -f bench/load/request.json http://127.0.0.1:PORT/v1/chat/completions
#   # (b) streaming, 20 chunks (bombardier reads each SSE body to the end)
#   bombardier -c 64 -d 10s -l -m POST -H 'Content-Type: application/json' \
#     -H 'Authorization: Bearer demo-access-token' -f request-stream.json http://127.0.0.1:PORT/v1/chat/completions
#   # (c) one connection, latency percentiles
#   bombardier -c 1 -d 10s -l -m POST -H 'Content-Type: application/json' \
#     -H 'Authorization: Bearer demo-access-token' -f bench/load/request.json http://127.0.0.1:PORT/v1/chat/completions
#   # (d) 1,000 slow streams, against peers in front of `qwen-simulator 18080 30 1000`: each connection holds one
#   # 30 s stream, so -n 1000 -c 1000 opens them all at once. bombardier only sees status codes and timing, not
#   # chunk order or content (that is what bench/QwenFastProxy.StreamLoad checks); -t must outlast the stream.
#   bombardier -c 1000 -n 1000 -t 60s -l -m POST -H 'Content-Type: application/json' \
#     -H 'Authorization: Bearer demo-access-token' -f request-stream.json http://127.0.0.1:PORT/v1/chat/completions
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

rounds=${ROUNDS:-3}; secs=${SECONDS_PER_RUN:-6}; conns=${CONNS:-64}; warmup=${WARMUP:-12}
peers=(${PEERS:-direct qwenfastproxy nginx yarp})
phase_list=${PHASES:-ns s lat hey slow startup}; phases=" $phase_list "
slow_streams=${SLOW_STREAMS:-1000}; slow_chunks=${SLOW_CHUNKS:-30}; slow_delay=${SLOW_DELAY_MS:-1000}; slow_ramp=${SLOW_RAMP_MS:-1000}
startup_runs=${STARTUP_RUNS:-10}
sim_port=${SIM_PORT:-18080}; qfp_port=${QFP_PORT:-18143}; nginx_port=${NGINX_PORT:-18144}; yarp_port=${YARP_PORT:-18145}
tick=$(getconf CLK_TCK)
work=$(mktemp -d /tmp/qfp-compare.XXXXXX)
command -v wrk >/dev/null || { echo "compare.sh: wrk is needed (apt-get install -y wrk)" >&2; exit 2; }
phase() { [[ $phases == *" $1 "* ]]; }
round_phases=(); for wl in ns s lat hey; do phase "$wl" && round_phases+=("$wl"); done

# Every proxied slow stream is a client and an upstream socket in the proxy, plus one each in the load client and
# the simulator; the usual 1024 would make the proxies fail for a reason that is not theirs.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if phase slow && (( $(ulimit -n) < 2 * slow_streams + 256 )); then
  echo "compare.sh: warning: ulimit -n is $(ulimit -n), too low for $slow_streams proxied streams" >&2
fi

declare -A pid url
pids_to_kill=()
cleanup() { for p in "${pids_to_kill[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

wait_up() { # url name [pid] -> 0 when it answers (and the pid, when given, is still alive: not a stranger answering)
  for _ in $(seq 1 80); do
    if [[ -n ${3:-} ]] && ! kill -0 "$3" 2>/dev/null; then echo "compare.sh: $2 exited at start" >&2; return 1; fi
    curl -s -o /dev/null "$1" 2>/dev/null && return 0; sleep 0.25
  done
  echo "compare.sh: $2 did not come up on $1" >&2; return 1
}
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
drop_peer() { # name reason
  echo "compare.sh: SKIPPING $1: $2" >&2
  skipped+=("$1: $2"); local keep=(); for p in "${peers[@]}"; do [[ $p == "$1" ]] || keep+=("$p"); done; peers=("${keep[@]}")
}
skipped=(); notes=()
want() { local p; for p in "${peers[@]}"; do [[ $p == "$1" ]] && return 0; done; return 1; }
stop_pid() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

# ---- build ---------------------------------------------------------------------------------------
if [[ -z ${SKIP_BUILD:-} ]]; then
  echo "building the simulator host and qwenfastproxy (native AOT)..."
  dotnet publish bench/QwenFastProxy.SimulatorHost -c Release -r linux-x64 -o artifacts/sim >"$work/build-sim.log" 2>&1 \
    || { cat "$work/build-sim.log" >&2; exit 1; }
  if want qwenfastproxy || phase startup; then
    dotnet publish src/QwenFastProxy.Cli -c Release -r linux-x64 -o artifacts/publish >"$work/build-qfp.log" 2>&1 \
      || { cat "$work/build-qfp.log" >&2; exit 1; }
  fi
  if want yarp; then
    echo "building the YARP baseline..."
    dotnet publish bench/YarpBaseline -c Release -o artifacts/yarp >"$work/build-yarp.log" 2>&1 \
      || drop_peer yarp "dotnet publish bench/YarpBaseline failed (see $work/build-yarp.log)"
  fi
  if phase slow || phase startup; then
    echo "building the stream-load client..."
    dotnet publish bench/QwenFastProxy.StreamLoad -c Release -o artifacts/streamload >"$work/build-streamload.log" 2>&1 \
      || { cat "$work/build-streamload.log" >&2; exit 1; }
  fi
fi
apt_install() { # package -> installed when root with apt-get; silent otherwise
  [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null || return 0
  echo "installing $1 (Debian package)..."
  { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y "$1"; } >>"$work/apt.log" 2>&1 || true
}
if want nginx && ! command -v nginx >/dev/null; then
  apt_install nginx
  command -v nginx >/dev/null || drop_peer nginx "nginx is not installed and could not be installed (needs root + apt-get)"
fi
if phase hey && ! command -v hey >/dev/null; then
  apt_install hey
  if ! command -v hey >/dev/null; then
    echo "compare.sh: hey is not installed and could not be installed (needs root + apt-get); skipping phase (e)" >&2
    notes+=("(e) hey: not run — hey is not installed and could not be installed (apt-get install -y hey needs root).")
    keep=(); for wl in "${round_phases[@]}"; do [[ $wl == hey ]] || keep+=("$wl"); done; round_phases=("${keep[@]}")
  fi
fi
[[ -x artifacts/sim/qwen-simulator ]] || { echo "compare.sh: artifacts/sim/qwen-simulator missing" >&2; exit 1; }
if want yarp && [[ ! -x artifacts/yarp/YarpBaseline ]]; then drop_peer yarp "artifacts/yarp/YarpBaseline missing"; fi
if { phase slow || phase startup; } && [[ ! -x artifacts/streamload/stream-load ]]; then
  echo "compare.sh: artifacts/streamload/stream-load missing (run without SKIP_BUILD)" >&2; exit 1
fi

# ---- peers ---------------------------------------------------------------------------------------
# Every port this run will listen on must be free now: wait_up would otherwise happily time a stranger (another
# simulator left on 18080, say). The slow phase uses the ports + 10, the start-up probe the proxy port + 20.
declare -A port=([qwenfastproxy]=$qfp_port [nginx]=$nginx_port [yarp]=$yarp_port)
busy=()
listeners=("${peers[@]}"); want direct || listeners+=(direct)   # the simulator runs even when not a peer
for p in "${listeners[@]}"; do
  [[ $p == direct ]] && base=$sim_port || base=${port[$p]}
  ((${#round_phases[@]})) && port_busy "$base" && busy+=("$base")
  phase slow && port_busy $((base + 10)) && busy+=($((base + 10)))
done
phase startup && port_busy $((qfp_port + 20)) && busy+=($((qfp_port + 20)))
if ((${#busy[@]})); then
  echo "compare.sh: port(s) ${busy[*]} already in use; stop what listens there or pick others (SIM_PORT, QFP_PORT, NGINX_PORT, YARP_PORT)" >&2
  exit 1
fi

launch() { # peer upstream_port listen_port tag -> starts that proxy in front of the simulator on upstream_port; sets launched
  local peer=$1 up=$2 listen=$3 tag=$4 health=/
  case $peer in
    qwenfastproxy)
      mkdir -p "$work/$tag-qfp-state"
      STATE_DIR="$work/$tag-qfp-state" QWEN_API_KEY=bench-key QWEN_API_BASE_URL="http://127.0.0.1:$up/v1" LOG_FORMAT=text \
        artifacts/publish/qwenfastproxy --host 127.0.0.1 --port "$listen" >"$work/$tag-qfp.log" 2>&1 &
      health=/healthz;;
    nginx)
      mkdir -p "$work/$tag-nginx/logs" "$work/$tag-nginx/tmp"
      # NGINX_ACCESS_LOG=on gives nginx an access log as cheap as it gets (buffered, flushed every second), to weigh
      # it on equal terms with the proxy, which always writes one.
      sed -e "s/127\.0\.0\.1:18080/127.0.0.1:$up/; s/127\.0\.0\.1:18144/127.0.0.1:$listen/" \
        -e "$([ "${NGINX_ACCESS_LOG:-off}" = on ] && echo 's|access_log off;|access_log logs/access.log combined buffer=64k flush=1s;|' || echo 'n')" \
        bench/load/nginx.conf >"$work/$tag-nginx/nginx.conf"
      nginx -p "$work/$tag-nginx" -c "$work/$tag-nginx/nginx.conf" >"$work/$tag-nginx.log" 2>&1 &;;
    yarp)
      DOTNET_gcServer=${YARP_GC_SERVER:-1} artifacts/yarp/YarpBaseline "$listen" "http://127.0.0.1:$up/" >"$work/$tag-yarp.log" 2>&1 &;;
  esac
  launched=$!; pids_to_kill+=("$!")
  wait_up "http://127.0.0.1:$listen$health" "$peer" "$launched"
}

if ((${#round_phases[@]})); then
  artifacts/sim/qwen-simulator "$sim_port" 20 0 >"$work/sim.log" 2>&1 &
  pid[direct]=$!; pids_to_kill+=("$!"); url[direct]="http://127.0.0.1:$sim_port/v1/chat/completions"
  wait_up "http://127.0.0.1:$sim_port/" simulator "${pid[direct]}"
  for p in "${peers[@]}"; do
    [[ $p == direct ]] && continue
    if launch "$p" "$sim_port" "${port[$p]}" main; then
      pid[$p]=$launched; url[$p]="http://127.0.0.1:${port[$p]}/v1/chat/completions"
    else
      drop_peer "$p" "did not start (see the logs in $work)"
    fi
  done
fi

# ---- measurement helpers -------------------------------------------------------------------------
family() { # pid -> the pid and its children (nginx workers)
  echo "$1"; pgrep -P "$1" 2>/dev/null || true
}
cpu_ticks() { # pid -> utime+stime of the pid and its children, in clock ticks
  local t=0 p v
  for p in $(family "$1"); do
    v=$(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$p/stat" 2>/dev/null || echo 0); t=$((t + v))
  done
  echo "$t"
}
mem_kb() { # pid field(VmRSS|VmHWM) -> summed kB over the family
  local t=0 p v
  for p in $(family "$1"); do v=$(awk -v f="$2:" '$1 == f {print $2}' "/proc/$p/status" 2>/dev/null || echo 0); t=$((t + ${v:-0})); done
  echo "$t"
}
to_us() { # wrk latency like 1.23ms / 456.00us / 1.2s -> microseconds
  awk -v x="$1" 'BEGIN { v = x + 0; if (x ~ /us$/) m = 1; else if (x ~ /ms$/) m = 1000; else if (x ~ /m$/) m = 60e6; else if (x ~ /s$/) m = 1e6; else m = 1; printf "%.1f", v * m }'
}
results="$work/results.tsv"; : >"$results"   # peer workload round rps p50us p99us cpu_us_per_req rss_kb requests errors
run_load() { # peer workload seconds -> appends one line to results (round in $round)
  local peer=$1 wl=$2 d=$3 c=$conns t=2 stream=0 out rps p50 p99 reqs errs
  [[ $wl == s ]] && stream=1
  [[ $wl == lat ]] && { c=1; t=1; }
  local before; before=$(cpu_ticks "${pid[$peer]}")
  if [[ $wl == hey ]]; then
    out=$(hey -z "${d}s" -c "$c" -m POST -T application/json -H 'Authorization: Bearer demo-access-token' \
      -D bench/load/request.json "${url[$peer]}" 2>&1 || true)
  else
    out=$(STREAM=$stream wrk -t"$t" -c"$c" -d"${d}s" --latency -s bench/load/chat.lua "${url[$peer]}" 2>&1)
  fi
  local after; after=$(cpu_ticks "${pid[$peer]}")
  [[ $round == warm ]] && return 0
  if [[ $wl == hey ]]; then
    # hey prints seconds with 4 decimals (0.1 ms resolution). Errors = non-200 responses + its error distribution.
    rps=$(awk '/Requests\/sec:/ {print $2}' <<<"$out")
    p50=$(awk '$1 == "50%" && $2 == "in" {printf "%.1f", $3 * 1e6}' <<<"$out")
    p99=$(awk '$1 == "99%" && $2 == "in" {printf "%.1f", $3 * 1e6}' <<<"$out")
    reqs=$(awk '/^ *\[[0-9]+\][ \t]+[0-9]+ responses/ {gsub(/[^0-9 \t]/, ""); n += $2} END {print n + 0}' <<<"$out")
    errs=$(awk '/^Error distribution/ {e = 1; next} /^ *\[[0-9]+\][ \t]+[0-9]+ responses/ && !/\[200\]/ {gsub(/[^0-9 \t]/, ""); n += $2}
                e && /^ *\[[0-9]+\]/ {sub(/^ *\[/, ""); n += $1 + 0} END {print n + 0}' <<<"$out")
  else
    rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
    p50=$(to_us "$(awk '$1 == "50%" {print $2}' <<<"$out")")
    p99=$(to_us "$(awk '$1 == "99%" {print $2}' <<<"$out")")
    reqs=$(awk '/requests in/ {print $1}' <<<"$out")
    errs=$(awk '/Non-2xx/ {n += $NF} /Socket errors/ {gsub(/,/, ""); n += $4 + $6 + $8 + $10} END {print n + 0}' <<<"$out")
  fi
  local rss; rss=$(mem_kb "${pid[$peer]}" VmRSS)
  local cpu; cpu=$(awk -v a="$before" -v b="$after" -v r="$reqs" -v hz="$tick" 'BEGIN { printf "%.1f", (b - a) / hz * 1e6 / (r > 0 ? r : 1) }')
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$peer" "$wl" "$round" "${rps:-0}" "${p50:-nan}" "${p99:-nan}" "$cpu" "$rss" "${reqs:-0}" "$errs" >>"$results"
  printf '  round %s %-4s %-14s %10s req/s  p50 %8s us  p99 %9s us  cpu %6s us/req  rss %6s kB  errors %s\n' \
    "$round" "$wl" "$peer" "${rps:-0}" "${p50:-nan}" "${p99:-nan}" "$cpu" "$rss" "$errs"
}

declare -A idle_rss peak_rss
if ((${#round_phases[@]})); then
  for p in "${peers[@]}"; do idle_rss[$p]=$(mem_kb "${pid[$p]}" VmRSS); done

  # ---- warm-up: every .NET process (the simulator too) needs load before JIT/tiering settle ----------
  if (( warmup > 0 )); then
    half=$(( warmup / 2 > 0 ? warmup / 2 : 1 ))
    echo "warming up each peer (${half}s non-streaming + ${half}s streaming)..."
    round=warm
    for p in "${peers[@]}"; do run_load "$p" ns "$half"; run_load "$p" s "$half"; done
  fi

  # ---- interleaved rounds --------------------------------------------------------------------------
  for r in $(seq 1 "$rounds"); do
    round=$r
    if (( r % 2 )); then order=("${peers[@]}"); else order=(); for ((i = ${#peers[@]} - 1; i >= 0; i--)); do order+=("${peers[i]}"); done; fi
    for wl in "${round_phases[@]}"; do for p in "${order[@]}"; do run_load "$p" "$wl" "$secs"; done; done
  done
  for p in "${peers[@]}"; do peak_rss[$p]=$(mem_kb "${pid[$p]}" VmHWM); done
  # The later phases want a quiet box and their own fresh processes.
  for p in "${peers[@]}"; do stop_pid "${pid[$p]}"; done
fi

# ---- (d) slow streams ----------------------------------------------------------------------------
slow="$work/slow.tsv"; : >"$slow"   # peer idle_kb peak_kb streams ok failed kinds dur_p50 dur_max headers_max first_failure
slow_kinds=(connect status timeout broken malformed error-frame content chunks no-done unterminated not-streamed)
kv() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<" $1"; }
if phase slow; then
  slow_sim_port=$((sim_port + 10))
  echo "phase (d): $slow_streams concurrent streams of $slow_chunks chunks, one per ${slow_delay} ms, against each peer in turn..."
  artifacts/sim/qwen-simulator "$slow_sim_port" "$slow_chunks" "$slow_delay" >"$work/slow-sim.log" 2>&1 &
  slow_sim=$!; pids_to_kill+=("$!")
  wait_up "http://127.0.0.1:$slow_sim_port/" "slow simulator" "$slow_sim"
  for p in "${peers[@]}"; do
    if [[ $p == direct ]]; then
      spid=$slow_sim; sport=$slow_sim_port
    else
      sport=$((${port[$p]} + 10))
      if ! launch "$p" "$slow_sim_port" "$sport" slow; then
        printf '%s\t0\t0\t%s\t0\t%s\tdid-not-start\t–\t–\t–\tdid not start (see %s)\n' "$p" "$slow_streams" "$slow_streams" "$work" >>"$slow"
        continue
      fi
      spid=$launched
    fi
    sleep 1 # let start-up allocations settle before reading the idle figure
    idle=$(mem_kb "$spid" VmRSS)
    ( while :; do mem_kb "$spid" VmRSS; sleep 0.5; done ) >"$work/slow-rss-$p.txt" &
    sampler=$!
    summary=$(artifacts/streamload/stream-load streams --url "http://127.0.0.1:$sport/v1/chat/completions" \
      --streams "$slow_streams" --chunks "$slow_chunks" --delay-ms "$slow_delay" --ramp-ms "$slow_ramp" \
      --body bench/load/request.json 2>"$work/slow-client-$p.log" || true)
    stop_pid "$sampler"
    peak=$(sort -n "$work/slow-rss-$p.txt" | tail -1)
    echo "$summary" >>"$work/slow-client-$p.log"
    if [[ -z $summary ]]; then
      summary="streams=$slow_streams ok=0 failed=$slow_streams first_failure=\"stream-load printed no summary (see $work/slow-client-$p.log)\""
    fi
    kinds=""; for k in "${slow_kinds[@]}"; do n=$(kv "$summary" "$k"); [[ ${n:-0} != 0 ]] && kinds+="${kinds:+, }$k $n"; done
    first=$(sed -n 's/.*first_failure="\(.*\)"$/\1/p' <<<"$summary")
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$p" "$idle" "${peak:-0}" "$(kv "$summary" streams)" "$(kv "$summary" ok)" \
      "$(kv "$summary" failed)" "${kinds:-none}" "$(kv "$summary" duration_p50_s)" "$(kv "$summary" duration_max_s)" \
      "$(kv "$summary" headers_max_s)" "${first:--}" >>"$slow"
    printf '  slow %-14s idle %6s kB  peak %7s kB  %s\n' "$p" "$idle" "${peak:-0}" "$summary"
    [[ $p == direct ]] || stop_pid "$spid"
  done
  stop_pid "$slow_sim"
fi

# ---- (f) start-up --------------------------------------------------------------------------------
startup=""
if phase startup; then
  if [[ -x artifacts/publish/qwenfastproxy ]]; then
    echo "phase (f): start to first /healthz of the AOT qwenfastproxy, $startup_runs starts..."
    startup_port=$((qfp_port + 20))
    # The upstream need not be up: /healthz answers while the process serves, whatever the upstream does.
    startup=$(QWEN_API_KEY=bench-key QWEN_API_BASE_URL="http://127.0.0.1:$sim_port/v1" LOG_FORMAT=text \
      artifacts/streamload/stream-load startup --port "$startup_port" --runs "$startup_runs" -- \
      artifacts/publish/qwenfastproxy --host 127.0.0.1 --port "$startup_port" 2>"$work/startup.log" || true)
    echo "  $startup"
    [[ -n $startup ]] || notes+=("(f) start-up: the probe failed (see $work/startup.log).")
  else
    notes+=("(f) start-up: not run — artifacts/publish/qwenfastproxy missing.")
  fi
fi

# ---- report --------------------------------------------------------------------------------------
median() { sort -g | awk '{a[NR] = $1} END {if (NR == 0) print "nan"; else print (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2)}'; }
med() { awk -F'\t' -v p="$1" -v w="$2" -v c="$3" '$1 == p && $2 == w {print $c}' "$results" | median; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0 || a == "nan" || b == "nan" || a == "") print "–"; else printf "%.2f", a / b }'; }
fmt() { awk -v x="$1" -v d="${2:-0}" 'BEGIN { if (x == "nan" || x == "" || x == "–") print "–"; else printf "%.*f", d, x }'; }
mb() { awk -v k="$1" 'BEGIN { if (k == "" || k == "nan") print "–"; else printf "%.1f", k / 1024 }'; }
slow_col() { awk -F'\t' -v p="$1" -v c="$2" '$1 == p {print $c}' "$slow"; }
date_tag=$(date -u +%F)
out_base=${OUT:-bench/results/$date_tag-compare}; out_md="$out_base.md"; out_svg="$out_base.svg"
cpu_model=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)
wl_title() { case $1 in
  ns) echo "(a) non-streaming chat, $conns connections";;
  s) echo "(b) streaming chat, 20 chunks, no delay, $conns connections";;
  lat) echo "(c) one connection, non-streaming (added latency vs. direct)";;
  hey) echo "(e) \`hey\` second opinion: non-streaming chat, $conns connections";;
esac; }
has() { want "$1" && [[ -n $(awk -F'\t' -v p="$1" '$1 == p' "$results" | head -1) ]]; }
in_rounds() { local w; for w in "${round_phases[@]}"; do [[ $w == "$1" ]] && return 0; done; return 1; }
# verdict figure op limit -> met / not met / not measured (figure "–" or empty)
verdict() { awk -v x="$1" -v op="$2" -v l="$3" 'BEGIN { if (x == "" || x == "–" || x == "nan" || l == "" || l == "–" || l == "nan") { print "not measured"; exit }
  ok = (op == ">=" ? x + 0 >= l + 0 : x + 0 <= l + 0); print (ok ? "**met**" : "**not met**") }'; }
vs_text() { [[ $1 == – ]] && echo "–" || echo "$1× ($(fmt "$2") vs. $(fmt "$3") req/s)"; } # ratio ours theirs -> figure text
qfp_bytes=$([[ -x artifacts/publish/qwenfastproxy ]] && stat -c %s artifacts/publish/qwenfastproxy || echo "")
{
  echo "# Side-by-side compare: direct vs. qwenfastproxy vs. nginx vs. YARP ($date_tag)"
  echo
  echo "qwenfastproxy at $(git rev-parse --short HEAD)$([ -n "$(git status --porcelain --untracked-files=no)" ] && echo ' + uncommitted changes'); nginx access log: ${NGINX_ACCESS_LOG:-off} (the proxy always writes one)."
  echo
  echo "Machine: $(nproc) cores ($cpu_model), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr);" \
       "nginx $(nginx -v 2>&1 | sed 's/.*nginx\///' || echo '–'), .NET $(dotnet --version 2>/dev/null || echo '?'), $(wrk -v 2>&1 | head -1 | awk '{print $1, $2}')$(command -v hey >/dev/null && echo ", hey $(dpkg-query -W -f='${Version}' hey 2>/dev/null || echo '?')")."
  echo
  echo "Command: \`PHASES=\"$phase_list\" ROUNDS=$rounds SECONDS_PER_RUN=$secs CONNS=$conns WARMUP=$warmup" \
       "SLOW_STREAMS=$slow_streams SLOW_CHUNKS=$slow_chunks SLOW_DELAY_MS=$slow_delay STARTUP_RUNS=$startup_runs bench/load/compare.sh\`"
  if ((${#round_phases[@]})); then
    echo "— wrk with bench/load/chat.lua (body bench/load/request.json), $rounds interleaved rounds of ${secs}s per peer and workload" \
         "(order alternates A B C D / D C B A), after $( ((warmup > 0)) && echo "a ${warmup}s warm-up of each peer" || echo "no warm-up"); medians of the rounds."
    echo "The load generator, the simulator (AOT) and the proxy under test share the cores, so every proxied figure also pays for the" \
         "simulator's and the generator's work; read the ratios. CPU µs/request = the proxy's utime+stime (nginx: master+workers)" \
         "during the run / requests completed; RSS = VmRSS right after the run (nginx: master+workers summed)." \
         "qwenfastproxy runs in API-key mode with its default per-request access log on; YARP is JIT (not AOT), server GC."
  fi
  echo
  for wl in "${round_phases[@]}"; do
    echo "## $(wl_title "$wl")"
    echo
    [[ $wl == hey ]] && { echo "hey -z ${secs}s -c $conns, same body (bench/load/request.json), in the same rounds as wrk; latencies at hey's 0.1 ms resolution."; echo; }
    if [[ $wl == lat ]]; then
      echo "| peer | req/s | p50 µs | p99 µs | added p50 µs | added p99 µs | CPU µs/req | RSS MB | errors |"
      echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    else
      echo "| peer | req/s | p50 µs | p99 µs | CPU µs/req | RSS MB | × nginx (req/s) | × YARP (req/s) | errors |"
      echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    fi
    d50=$(med direct "$wl" 5); d99=$(med direct "$wl" 6)
    n_rps=$(has nginx && med nginx "$wl" 4 || echo nan); y_rps=$(has yarp && med yarp "$wl" 4 || echo nan)
    for p in "${peers[@]}"; do
      rps=$(med "$p" "$wl" 4); p50=$(med "$p" "$wl" 5); p99=$(med "$p" "$wl" 6); cpu=$(med "$p" "$wl" 7); rss=$(med "$p" "$wl" 8)
      errs=$(awk -F'\t' -v p="$p" -v w="$wl" '$1 == p && $2 == w {n += $10} END {print n + 0}' "$results")
      label=$p; [[ $p == direct ]] && label="direct (simulator; its own CPU/RSS)"
      if [[ $wl == lat ]]; then
        a50=$(awk -v a="$p50" -v b="$d50" 'BEGIN {printf "%.0f", a - b}'); a99=$(awk -v a="$p99" -v b="$d99" 'BEGIN {printf "%.0f", a - b}')
        [[ $p == direct ]] && { a50="–"; a99="–"; }
        echo "| $label | $(fmt "$rps") | $(fmt "$p50") | $(fmt "$p99") | $a50 | $a99 | $(fmt "$cpu" 1) | $(mb "$rss") | $errs |"
      else
        echo "| $label | $(fmt "$rps") | $(fmt "$p50") | $(fmt "$p99") | $(fmt "$cpu" 1) | $(mb "$rss") | $(ratio "$rps" "$n_rps") | $(ratio "$rps" "$y_rps") | $errs |"
      fi
    done
    echo
  done
  if ((${#round_phases[@]})); then
    echo "## Memory (round phases)"
    echo
    echo "| peer | idle RSS MB (before load) | peak RSS MB (VmHWM, whole run) |"
    echo "| --- | ---: | ---: |"
    for p in "${peers[@]}"; do echo "| $p | $(mb "${idle_rss[$p]}") | $(mb "${peak_rss[$p]}") |"; done
    echo
  fi
  if phase slow; then
    echo "## (d) $slow_streams concurrent slow streams: $slow_chunks chunks, one per ${slow_delay} ms"
    echo
    echo "bench/QwenFastProxy.StreamLoad opens all $slow_streams streaming chat completions within ${slow_ramp} ms and holds them open" \
         "together; a second simulator (\`qwen-simulator PORT $slow_chunks $slow_delay\`) is the upstream, with a fresh copy of each proxy" \
         "in front of it, one peer at a time. A stream is intact when it has status 200, exactly $slow_chunks content deltas that" \
         "rebuild the simulator's text in order (SimulatorOptions.DefaultResponseText, checked delta by delta), \`data: [DONE]\`," \
         "the body's end after it, and deltas spread out in time (not buffered). Idle RSS: 1 s after start; peak RSS: the largest" \
         "VmRSS sample (every 0.5 s) during the phase, nginx = master + workers summed."
    echo
    echo "| peer | idle RSS MB | peak RSS MB | × nginx (peak RSS) | intact streams | failures by kind | stream duration p50 / max s | first failure |"
    echo "| --- | ---: | ---: | ---: | ---: | --- | ---: | --- |"
    n_peak=$(slow_col nginx 3)
    while IFS=$'\t' read -r p idle peak n ok failed kinds d50 dmax hmax first; do
      label=$p; [[ $p == direct ]] && label="direct (simulator; its own RSS)"
      echo "| $label | $(mb "$idle") | $(mb "$peak") | $(ratio "$peak" "${n_peak:-nan}") | $ok / $n | $kinds | $d50 / $dmax | ${first//|/\\|} |"
    done <"$slow"
    echo
  fi
  if phase startup; then
    echo "## (f) Start-up and size of the AOT qwenfastproxy"
    echo
    if [[ -n $startup ]]; then
      echo "Exec to first 200 on \`/healthz\` (API-key mode, bench/QwenFastProxy.StreamLoad \`startup\`: Process.Start, then a" \
           "connect + GET every ~0.2 ms), $(kv "$startup" runs) starts after one unrecorded one: median **$(kv "$startup" startup_ms_median) ms**," \
           "min $(kv "$startup" min) ms, max $(kv "$startup" max) ms (all: $(kv "$startup" all))."
      echo
    fi
  fi
  [[ -n $qfp_bytes ]] && echo "qwenfastproxy AOT binary: $qfp_bytes bytes ($(mb "$((qfp_bytes / 1024))") MB)." && echo
  if ((${#skipped[@]})); then echo "Skipped peers: ${skipped[*]}."; echo; fi
  for n in "${notes[@]}"; do echo "$n"; echo; done

  # ---- targets (issue 7) ----
  echo "## Targets"
  echo
  echo "From the issue; medians above. \"not measured\" = the phase or the peer it compares with was not part of this run."
  echo
  echo "| target | figure | verdict |"
  echo "| --- | --- | --- |"
  q=nan; n=nan; y=nan
  if in_rounds ns && has qwenfastproxy; then q=$(med qwenfastproxy ns 4); fi
  if in_rounds ns && has nginx; then n=$(med nginx ns 4); fi
  if in_rounds ns && has yarp; then y=$(med yarp ns 4); fi
  r=$(ratio "$q" "$n"); echo "| non-streaming req/s ≥ 1.0× nginx | $(vs_text "$r" "$q" "$n") | $(verdict "$r" ">=" 1.0) |"
  r=$(ratio "$q" "$y"); echo "| non-streaming req/s ≥ 1.5× YARP | $(vs_text "$r" "$q" "$y") | $(verdict "$r" ">=" 1.5) |"
  q=nan; n=nan
  if in_rounds s && has qwenfastproxy; then q=$(med qwenfastproxy s 4); fi
  if in_rounds s && has nginx; then n=$(med nginx s 4); fi
  r=$(ratio "$q" "$n"); echo "| streaming req/s ≥ 1.0× nginx | $(vs_text "$r" "$q" "$n") | $(verdict "$r" ">=" 1.0) |"
  q=nan; n=nan
  if in_rounds ns && has qwenfastproxy; then q=$(med qwenfastproxy ns 6); fi
  if in_rounds ns && has nginx; then n=$(med nginx ns 6); fi
  echo "| p99 at $conns connections (a) ≤ nginx's p99 | $(fmt "$q") µs vs. $(fmt "$n") µs | $(verdict "$q" "<=" "$n") |"
  a=–
  if in_rounds lat && has qwenfastproxy && has direct; then a=$(awk -v a="$(med qwenfastproxy lat 5)" -v b="$(med direct lat 5)" 'BEGIN {printf "%.0f", a - b}'); fi
  echo "| added p50 at 1 connection ≤ 60 µs | $a µs | $(verdict "$a" "<=" 60) |"
  # Idle RSS: the round-phase figure (after start, before any load); the slow phase's fresh copy when the rounds did not run.
  i=${idle_rss[qwenfastproxy]:-$(slow_col qwenfastproxy 2)}; i=$([[ -n $i && $i != 0 ]] && mb "$i" || echo –)
  echo "| RSS idle ≤ 20 MB | $i MB | $(verdict "$i" "<=" 20) |"
  q=$(slow_col qwenfastproxy 3); n=$(slow_col nginx 3)
  qi=$(slow_col qwenfastproxy 5); qn=$(slow_col qwenfastproxy 4)
  echo "| RSS at $slow_streams slow streams ≤ nginx's | $(mb "$q") MB vs. $(mb "$n") MB$([[ -n $qn ]] && echo "; $qi / $qn qwenfastproxy streams intact") | $(verdict "$([[ -n $q && $q != 0 ]] && echo "$q" || echo –)" "<=" "$([[ -n $n && $n != 0 ]] && echo "$n" || echo –)") |"
  s=$([[ -n $qfp_bytes ]] && mb "$((qfp_bytes / 1024))" || echo –)
  echo "| AOT binary ≤ 12 MB | $s MB ($qfp_bytes bytes; MB = 2^20 bytes) | $(verdict "$s" "<=" 12) |"
  s=$([[ -n $startup ]] && kv "$startup" startup_ms_median || echo –)
  echo "| start to first /healthz ≤ 25 ms | $s ms (median) | $(verdict "$s" "<=" 25) |"
  echo "| allocation targets | see the microbench results (BenchmarkDotNet, bench/results/*-microbench.md) | – |"
  echo
  if ((${#round_phases[@]})); then
    echo "Chart: \`$(basename "$out_svg")\` (req/s, medians)."
    echo
    echo "<details><summary>Raw runs (peer, workload, round, req/s, p50 µs, p99 µs, CPU µs/req, RSS kB, requests, errors)</summary>"
    echo
    echo '```'
    cat "$results"
    echo '```'
    echo "</details>"
  fi
  if phase slow; then
    echo
    echo "<details><summary>Raw slow-stream runs (peer, idle kB, peak kB, streams, ok, failed, kinds, duration p50 s, max s, headers max s, first failure)</summary>"
    echo
    echo '```'
    cat "$slow"
    echo '```'
    echo "</details>"
  fi
} >"$out_md"

# ---- SVG bar chart: req/s per peer, grouped by workload (each group scaled to its own maximum) ----
if ((${#round_phases[@]})); then
{
  colors=(direct:#9e9e9e qwenfastproxy:#1565c0 nginx:#2e7d32 yarp:#ef6c00)
  n=${#peers[@]}; bw=34; gap=40; gw=$((n * bw)); x0=60; groups=${#round_phases[@]}
  w=$((x0 + groups * (gw + gap) + 20)); (( w < 600 )) && w=600; h=360; base=290
  echo "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"$w\" height=\"$h\" font-family=\"sans-serif\" font-size=\"11\">"
  echo "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>"
  echo "<text x=\"$x0\" y=\"20\" font-size=\"14\" font-weight=\"bold\">req/s, medians of $rounds interleaved runs ($date_tag, $(nproc) cores)</text>"
  echo "<text x=\"$x0\" y=\"36\" fill=\"#555\">each workload scaled to its own maximum; bar labels are req/s</text>"
  gi=0
  for wl in "${round_phases[@]}"; do
    gx=$((x0 + gi * (gw + gap)))
    mx=$(for p in "${peers[@]}"; do med "$p" "$wl" 4; done | sort -g | tail -1)
    pi=0
    for p in "${peers[@]}"; do
      v=$(med "$p" "$wl" 4); col=$(printf '%s\n' "${colors[@]}" | awk -F: -v p="$p" '$1 == p {print $2}')
      awk -v v="$v" -v mx="$mx" -v x=$((gx + pi * bw)) -v bw=$bw -v base=$base -v col="$col" 'BEGIN {
        hh = (mx > 0 ? v / mx * 220 : 0); printf "<rect x=\"%d\" y=\"%.1f\" width=\"%d\" height=\"%.1f\" fill=\"%s\"/>\n", x + 2, base - hh, bw - 4, hh, col
        printf "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"9\">%.0f</text>\n", x + bw / 2, base - hh - 4, v }'
      pi=$((pi + 1))
    done
    case $wl in ns) t="(a) non-streaming, ${conns}c";; s) t="(b) streaming 20 chunks, ${conns}c";; lat) t="(c) 1 connection";; hey) t="(e) hey non-streaming, ${conns}c";; esac
    echo "<text x=\"$((gx + gw / 2))\" y=\"$((base + 16))\" text-anchor=\"middle\">$t</text>"
    gi=$((gi + 1))
  done
  echo "<line x1=\"$((x0 - 4))\" y1=\"$base\" x2=\"$((w - 10))\" y2=\"$base\" stroke=\"#333\"/>"
  lx=$x0
  for p in "${peers[@]}"; do
    col=$(printf '%s\n' "${colors[@]}" | awk -F: -v p="$p" '$1 == p {print $2}')
    echo "<rect x=\"$lx\" y=\"$((base + 32))\" width=\"12\" height=\"12\" fill=\"$col\"/><text x=\"$((lx + 16))\" y=\"$((base + 42))\">$p</text>"
    lx=$((lx + 110))
  done
  echo "</svg>"
} >"$out_svg"
fi

cat "$out_md"
echo
echo "wrote $out_md$( ((${#round_phases[@]})) && echo " and $out_svg") (logs in $work)"
