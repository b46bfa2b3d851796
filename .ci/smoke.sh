#!/usr/bin/env bash
# Starts the given qwenfastproxy binary in --demo mode on a free loopback port and checks, with curl,
# a non-streaming and a streaming chat completion, /metrics, and (with chromium) the status page in a
# headless browser. Bounded: every step has a time limit.
set -euo pipefail
binary=$1
log=$(mktemp)
# Port 0: the proxy picks a free port and prints its URL, so nothing here needs to find one.
"$binary" --demo --port 0 >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
base=""
for _ in $(seq 1 60); do
  base=$(grep -oE 'http://127\.0\.0\.1:[0-9]+' "$log" | head -n 1 || true)
  [ -n "$base" ] && break
  sleep 0.5
done
[ -n "$base" ] || { echo "proxy did not start:"; cat "$log"; exit 1; }
curl -fs "$base/healthz" >/dev/null || { echo "proxy did not start:"; cat "$log"; exit 1; }

body=$(curl -fsS --max-time 30 "$base/v1/chat/completions" -H 'Content-Type: application/json' \
  -d '{"model":"qwen3-coder-plus","messages":[{"role":"user","content":"hello"}]}')
echo "$body" | grep -q '"object":"chat.completion"' || { echo "bad non-streaming answer: $body"; exit 1; }

stream=$(curl -fsSN --max-time 30 "$base/v1/chat/completions" -H 'Content-Type: application/json' \
  -d '{"model":"qwen3-coder-plus","stream":true,"messages":[{"role":"user","content":"hello"}]}')
echo "$stream" | grep -q '"object":"chat.completion.chunk"' || { echo "bad stream: $stream"; exit 1; }
[ "$(echo "$stream" | grep -c '^data: ')" -ge 3 ] || { echo "too few frames: $stream"; exit 1; }
echo "$stream" | tail -n 2 | grep -q '^data: \[DONE\]' || { echo "stream did not end with [DONE]: $stream"; exit 1; }
# The demo upstream stutters (its first chunks repeat the text so far): the repaired stream must
# assemble to the text exactly once.
text=$(echo "$stream" | grep -o '"content":"[^"]*"' | sed 's/^"content":"//; s/"$//' | tr -d '\n')
expected="The safest fix is to validate the input before parsing it, return early when the buffer is empty, and cover both branches with a unit test so that the next refactor cannot silently break the contract every caller depends on."
[ "$text" = "$expected" ] || { echo "repaired stream assembled to: $text"; exit 1; }

# /metrics counts what just happened: the two chat completions above, in Prometheus text.
metrics=$(curl -fsS --max-time 10 "$base/metrics")
echo "$metrics" | grep -q '^# TYPE qwenfastproxy_requests_total counter$' || { echo "bad /metrics: $metrics"; exit 1; }
chat_ok=$(echo "$metrics" | grep '^qwenfastproxy_requests_total{route="chat",status_class="2xx"} ' | awk '{print $2}')
[ "${chat_ok:-0}" -ge 2 ] || { echo "/metrics counted $chat_ok successful chats, expected 2: $metrics"; exit 1; }

# The status page in a real headless browser: its script must have fetched /status.json and filled the page.
if command -v chromium >/dev/null 2>&1; then
  rendered=""
  for _ in 1 2 3; do
    profile=$(mktemp -d)
    rendered=$(timeout 60 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
      --disable-background-networking --disable-component-update --disable-sync --user-data-dir="$profile" \
      --virtual-time-budget=5000 --dump-dom "$base/" 2>/dev/null || true)
    rm -rf "$profile"
    echo "$rendered" | grep -q 'id="ready" class="pill ok">ready<' && break
  done
  echo "$rendered" | grep -q 'id="ready" class="pill ok">ready<' || { echo "status page did not render as ready: $rendered"; exit 1; }
  echo "$rendered" | grep -qE 'id="total" class="value">[0-9]+<' || { echo "status page shows no request total: $rendered"; exit 1; }
  echo "status page rendered in chromium: ready, figures filled in"
else
  echo "chromium not found: status page browser check skipped (.ci/run installs it)"
fi

kill -TERM $pid
for _ in $(seq 1 40); do kill -0 $pid 2>/dev/null || break; sleep 0.25; done
if kill -0 $pid 2>/dev/null; then echo "proxy did not stop on SIGTERM"; exit 1; fi
wait $pid || { echo "proxy exited non-zero after SIGTERM:"; cat "$log"; exit 1; }
echo "smoke test passed: non-streaming and repaired streaming through the AOT binary, /metrics, status page, clean SIGTERM"
