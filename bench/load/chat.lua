-- wrk script: a non-streaming chat completion (set STREAM=1 in the environment for a streamed one).
local stream = os.getenv("STREAM") == "1"
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer demo-access-token"
wrk.body = '{"model":"qwen3-coder-plus","stream":' .. (stream and "true" or "false") ..
  ',"messages":[{"role":"system","content":"You are a careful senior engineer. Answer briefly."},' ..
  '{"role":"user","content":"Review this function and suggest one improvement: func parse(b []byte) (int, error) { if len(b) == 0 { return 0, errEmpty }; n := 0; for _, c := range b { if c < 48 || c > 57 { return 0, errDigit }; n = n*10 + int(c-48) }; return n, nil }. Keep the answer short and focus on overflow handling, error wrapping and tests that would catch a regression in the digit loop."}]}'
