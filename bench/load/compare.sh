#!/usr/bin/env bash
# Side-by-side load comparison (issue 7, item 1): the simulated Qwen upstream hit directly, and through
# qwenfastproxy (AOT), nginx (bench/load/nginx.conf) and YARP (bench/YarpBaseline), all on this machine,
# interleaved and repeated (A B C D, D C B A, ...) so drift on a noisy 2-core box evens out.
#
# Workloads (wrk, bench/load/chat.lua, ~0.9 KB chat request):
#   ns   non-streaming chat completion, CONNS connections (default 64)
#   s    streaming chat completion, 20 chunks, no delays, CONNS connections
#   lat  non-streaming, 1 connection: added latency = p50/p99 minus the direct path's
# Per proxy it also reads /proc: CPU time per request (utime+stime before/after each run, summed over the
# process and its children, e.g. nginx workers, divided by the requests wrk completed) and RSS (VmRSS after
# each run, VmHWM at the end; nginx is the sum of master and workers).
# Not done here (left): (d) 1,000 concurrent slow streams with peak RSS and stream integrity, and `hey`.
#
# Usage: bench/load/compare.sh            (defaults: ~6-7 minutes on 2 cores, builds included)
#   ROUNDS=3 SECONDS_PER_RUN=6 CONNS=64 WARMUP=12 PEERS="direct qwenfastproxy nginx yarp" bench/load/compare.sh
#   SKIP_BUILD=1 reuses artifacts/{sim,publish,yarp}. Root is needed only to apt-get install nginx if missing.
# Writes bench/results/<date>-compare.md and bench/results/<date>-compare.svg.
# Everything binds and talks to 127.0.0.1 only. wrk, the simulator and the proxy share the same cores.
#
# Equivalent bombardier commands (bombardier is not installable here), with request.json holding chat.lua's
# body (and "stream":true for the streaming one); PORT = 18080 direct, 18143 qwenfastproxy, 18144 nginx,
# 18145 YARP:
#   # (a) non-streaming, 64 connections
#   bombardier -c 64 -d 10s -l -m POST -H 'Content-Type: application/json' \
#     -H 'Authorization: Bearer demo-access-token' -f request.json http://127.0.0.1:PORT/v1/chat/completions
#   # (b) streaming, 20 chunks (bombardier reads each SSE body to the end)
#   bombardier -c 64 -d 10s -l -m POST -H 'Content-Type: application/json' \
#     -H 'Authorization: Bearer demo-access-token' -f request-stream.json http://127.0.0.1:PORT/v1/chat/completions
#   # (c) one connection, latency percentiles
#   bombardier -c 1 -d 10s -l -m POST -H 'Content-Type: application/json' \
#     -H 'Authorization: Bearer demo-access-token' -f request.json http://127.0.0.1:PORT/v1/chat/completions
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

rounds=${ROUNDS:-3}; secs=${SECONDS_PER_RUN:-6}; conns=${CONNS:-64}; warmup=${WARMUP:-12}
peers=(${PEERS:-direct qwenfastproxy nginx yarp})
sim_port=${SIM_PORT:-18080}; qfp_port=${QFP_PORT:-18143}; nginx_port=${NGINX_PORT:-18144}; yarp_port=${YARP_PORT:-18145}
tick=$(getconf CLK_TCK)
work=$(mktemp -d /tmp/qfp-compare.XXXXXX)
command -v wrk >/dev/null || { echo "compare.sh: wrk is needed (apt-get install -y wrk)" >&2; exit 2; }

declare -A pid url
pids_to_kill=()
cleanup() { for p in "${pids_to_kill[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

wait_up() { # url name -> 0 when it answers
  for _ in $(seq 1 80); do curl -s -o /dev/null "$1" 2>/dev/null && return 0; sleep 0.25; done
  echo "compare.sh: $2 did not come up on $1" >&2; return 1
}
drop_peer() { # name reason
  echo "compare.sh: SKIPPING $1: $2" >&2
  skipped+=("$1: $2"); local keep=(); for p in "${peers[@]}"; do [[ $p == "$1" ]] || keep+=("$p"); done; peers=("${keep[@]}")
}
skipped=()
want() { local p; for p in "${peers[@]}"; do [[ $p == "$1" ]] && return 0; done; return 1; }

# ---- build ---------------------------------------------------------------------------------------
if [[ -z ${SKIP_BUILD:-} ]]; then
  echo "building the simulator host and qwenfastproxy (native AOT)..."
  dotnet publish bench/QwenFastProxy.SimulatorHost -c Release -r linux-x64 -o artifacts/sim >"$work/build-sim.log" 2>&1 \
    || { cat "$work/build-sim.log" >&2; exit 1; }
  want qwenfastproxy && { dotnet publish src/QwenFastProxy.Cli -c Release -r linux-x64 -o artifacts/publish >"$work/build-qfp.log" 2>&1 \
    || { cat "$work/build-qfp.log" >&2; exit 1; }; }
  if want yarp; then
    echo "building the YARP baseline..."
    dotnet publish bench/YarpBaseline -c Release -o artifacts/yarp >"$work/build-yarp.log" 2>&1 \
      || drop_peer yarp "dotnet publish bench/YarpBaseline failed (see $work/build-yarp.log)"
  fi
fi
if want nginx && ! command -v nginx >/dev/null; then
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    echo "installing nginx (Debian package)..."
    { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y nginx; } >"$work/apt.log" 2>&1 || true
  fi
  command -v nginx >/dev/null || drop_peer nginx "nginx is not installed and could not be installed (needs root + apt-get)"
fi
[[ -x artifacts/sim/qwen-simulator ]] || { echo "compare.sh: artifacts/sim/qwen-simulator missing" >&2; exit 1; }

# ---- start ---------------------------------------------------------------------------------------
artifacts/sim/qwen-simulator "$sim_port" 20 0 >"$work/sim.log" 2>&1 &
pid[direct]=$!; pids_to_kill+=("$!"); url[direct]="http://127.0.0.1:$sim_port/v1/chat/completions"
wait_up "http://127.0.0.1:$sim_port/" simulator

if want qwenfastproxy; then
  QWEN_API_KEY=bench-key QWEN_API_BASE_URL="http://127.0.0.1:$sim_port/v1" LOG_FORMAT=text \
    artifacts/publish/qwenfastproxy --host 127.0.0.1 --port "$qfp_port" >"$work/qfp.log" 2>&1 &
  pid[qwenfastproxy]=$!; pids_to_kill+=("$!"); url[qwenfastproxy]="http://127.0.0.1:$qfp_port/v1/chat/completions"
  wait_up "http://127.0.0.1:$qfp_port/healthz" qwenfastproxy || drop_peer qwenfastproxy "did not start (see $work/qfp.log)"
fi
if want nginx; then
  mkdir -p "$work/nginx/logs" "$work/nginx/tmp"
  sed -e "s/127\.0\.0\.1:18080/127.0.0.1:$sim_port/; s/127\.0\.0\.1:18144/127.0.0.1:$nginx_port/" \
    bench/load/nginx.conf >"$work/nginx/nginx.conf"
  nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" >"$work/nginx.log" 2>&1 &
  pid[nginx]=$!; pids_to_kill+=("$!"); url[nginx]="http://127.0.0.1:$nginx_port/v1/chat/completions"
  wait_up "http://127.0.0.1:$nginx_port/" nginx || drop_peer nginx "did not start (see $work/nginx.log, $work/nginx/logs/error.log)"
fi
if want yarp; then
  if [[ -x artifacts/yarp/YarpBaseline ]]; then
    DOTNET_gcServer=${YARP_GC_SERVER:-1} artifacts/yarp/YarpBaseline "$yarp_port" "http://127.0.0.1:$sim_port/" >"$work/yarp.log" 2>&1 &
    pid[yarp]=$!; pids_to_kill+=("$!"); url[yarp]="http://127.0.0.1:$yarp_port/v1/chat/completions"
    wait_up "http://127.0.0.1:$yarp_port/" yarp || drop_peer yarp "did not start (see $work/yarp.log)"
  else
    drop_peer yarp "artifacts/yarp/YarpBaseline missing"
  fi
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
run_wrk() { # peer workload seconds -> appends one line to results (round in $round)
  local peer=$1 wl=$2 d=$3 c=$conns t=2 stream=0 out
  [[ $wl == s ]] && stream=1
  [[ $wl == lat ]] && { c=1; t=1; }
  local before; before=$(cpu_ticks "${pid[$peer]}")
  out=$(STREAM=$stream wrk -t"$t" -c"$c" -d"${d}s" --latency -s bench/load/chat.lua "${url[$peer]}" 2>&1)
  local after; after=$(cpu_ticks "${pid[$peer]}")
  [[ $round == warm ]] && return 0
  local rps p50 p99 reqs errs rss
  rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
  p50=$(to_us "$(awk '$1 == "50%" {print $2}' <<<"$out")")
  p99=$(to_us "$(awk '$1 == "99%" {print $2}' <<<"$out")")
  reqs=$(awk '/requests in/ {print $1}' <<<"$out")
  errs=$(awk '/Non-2xx/ {n += $NF} /Socket errors/ {gsub(/,/, ""); n += $4 + $6 + $8 + $10} END {print n + 0}' <<<"$out")
  rss=$(mem_kb "${pid[$peer]}" VmRSS)
  local cpu; cpu=$(awk -v a="$before" -v b="$after" -v r="$reqs" -v hz="$tick" 'BEGIN { printf "%.1f", (b - a) / hz * 1e6 / (r > 0 ? r : 1) }')
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$peer" "$wl" "$round" "${rps:-0}" "$p50" "$p99" "$cpu" "$rss" "${reqs:-0}" "$errs" >>"$results"
  printf '  round %s %-4s %-14s %10s req/s  p50 %8s us  p99 %9s us  cpu %6s us/req  rss %6s kB  errors %s\n' \
    "$round" "$wl" "$peer" "${rps:-0}" "$p50" "$p99" "$cpu" "$rss" "$errs"
}

declare -A idle_rss
for p in "${peers[@]}"; do idle_rss[$p]=$(mem_kb "${pid[$p]}" VmRSS); done

# ---- warm-up: every .NET process (the simulator too) needs load before JIT/tiering settle ----------
half=$(( warmup / 2 > 0 ? warmup / 2 : 1 ))
echo "warming up each peer (${half}s non-streaming + ${half}s streaming)..."
round=warm
for p in "${peers[@]}"; do run_wrk "$p" ns "$half"; run_wrk "$p" s "$half"; done

# ---- interleaved rounds --------------------------------------------------------------------------
for r in $(seq 1 "$rounds"); do
  round=$r
  if (( r % 2 )); then order=("${peers[@]}"); else order=(); for ((i = ${#peers[@]} - 1; i >= 0; i--)); do order+=("${peers[i]}"); done; fi
  for wl in ns s lat; do for p in "${order[@]}"; do run_wrk "$p" "$wl" "$secs"; done; done
done
declare -A peak_rss
for p in "${peers[@]}"; do peak_rss[$p]=$(mem_kb "${pid[$p]}" VmHWM); done

# ---- report --------------------------------------------------------------------------------------
median() { sort -g | awk '{a[NR] = $1} END {if (NR == 0) print "nan"; else print (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2)}'; }
med() { awk -F'\t' -v p="$1" -v w="$2" -v c="$3" '$1 == p && $2 == w {print $c}' "$results" | median; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0 || a == "nan" || b == "nan") print "–"; else printf "%.2f", a / b }'; }
fmt() { awk -v x="$1" -v d="${2:-0}" 'BEGIN { if (x == "nan" || x == "") print "–"; else printf "%.*f", d, x }'; }
mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
date_tag=$(date -u +%F)
out_md="bench/results/$date_tag-compare.md"; out_svg="bench/results/$date_tag-compare.svg"
cpu_model=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)
wl_title() { case $1 in ns) echo "(a) non-streaming chat, $conns connections";; s) echo "(b) streaming chat, 20 chunks, no delay, $conns connections";; lat) echo "(c) one connection, non-streaming (added latency vs. direct)";; esac; }
has() { want "$1" && [[ -n $(awk -F'\t' -v p="$1" '$1 == p' "$results" | head -1) ]]; }
{
  echo "# Side-by-side compare: direct vs. qwenfastproxy vs. nginx vs. YARP ($date_tag)"
  echo
  echo "Machine: $(nproc) cores ($cpu_model), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr);" \
       "nginx $(nginx -v 2>&1 | sed 's/.*nginx\///' || echo '–'), .NET $(dotnet --version 2>/dev/null || echo '?'), $(wrk -v 2>&1 | head -1 | awk '{print $1, $2}')."
  echo
  echo "Command: \`ROUNDS=$rounds SECONDS_PER_RUN=$secs CONNS=$conns WARMUP=$warmup bench/load/compare.sh\`" \
       "— wrk with bench/load/chat.lua (~0.9 KB request), $rounds interleaved rounds of ${secs}s per peer and workload" \
       "(order alternates A B C D / D C B A), after a ${warmup}s warm-up of each peer; medians of the rounds."
  echo "wrk, the simulator (AOT) and the proxy under test share both cores, so every proxied figure also pays for the" \
       "simulator's and wrk's work; read the ratios. CPU µs/request = the proxy's utime+stime (nginx: master+workers)" \
       "during the run / requests completed; RSS = VmRSS right after the run (nginx: master+workers summed)." \
       "qwenfastproxy runs in API-key mode with its default per-request access log on; YARP is JIT (not AOT), server GC."
  echo
  for wl in ns s lat; do
    echo "## $(wl_title "$wl")"
    echo
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
  echo "## Memory"
  echo
  echo "| peer | idle RSS MB (before load) | peak RSS MB (VmHWM, whole run) |"
  echo "| --- | ---: | ---: |"
  for p in "${peers[@]}"; do echo "| $p | $(mb "${idle_rss[$p]}") | $(mb "${peak_rss[$p]}") |"; done
  echo
  [[ -x artifacts/publish/qwenfastproxy ]] && echo "qwenfastproxy AOT binary: $(stat -c %s artifacts/publish/qwenfastproxy) bytes." && echo
  if ((${#skipped[@]})); then echo "Skipped peers: ${skipped[*]}."; echo; fi
  echo "Not measured here (left for later): (d) 1,000 concurrent slow streams (peak RSS, integrity) and a \`hey\` second opinion."
  echo
  echo "Chart: \`$(basename "$out_svg")\` (req/s, medians)."
  echo
  echo "<details><summary>Raw runs (peer, workload, round, req/s, p50 µs, p99 µs, CPU µs/req, RSS kB, requests, errors)</summary>"
  echo
  echo '```'
  cat "$results"
  echo '```'
  echo "</details>"
} >"$out_md"

# ---- SVG bar chart: req/s per peer, grouped by workload (each group scaled to its own maximum) ----
{
  colors=(direct:#9e9e9e qwenfastproxy:#1565c0 nginx:#2e7d32 yarp:#ef6c00)
  n=${#peers[@]}; bw=34; gap=40; gw=$((n * bw)); x0=60; w=$((x0 + 3 * (gw + gap) + 20)); h=360; base=290
  echo "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"$w\" height=\"$h\" font-family=\"sans-serif\" font-size=\"11\">"
  echo "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>"
  echo "<text x=\"$x0\" y=\"20\" font-size=\"14\" font-weight=\"bold\">req/s, medians of $rounds interleaved wrk runs ($date_tag, $(nproc) cores)</text>"
  echo "<text x=\"$x0\" y=\"36\" fill=\"#555\">each workload scaled to its own maximum; bar labels are req/s</text>"
  gi=0
  for wl in ns s lat; do
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
    case $wl in ns) t="(a) non-streaming, ${conns}c";; s) t="(b) streaming 20 chunks, ${conns}c";; lat) t="(c) 1 connection";; esac
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

cat "$out_md"
echo
echo "wrote $out_md and $out_svg (logs in $work)"
