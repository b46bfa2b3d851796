-- wrk script: a non-streaming chat completion (set STREAM=1 in the environment for a streamed one).
-- The body lives in bench/load/request.json (REQUEST_JSON overrides the path) so that hey, bombardier and the
-- stream-load client send exactly the same bytes; run wrk from the repository root.
local stream = os.getenv("STREAM") == "1"
local file = assert(io.open(os.getenv("REQUEST_JSON") or "bench/load/request.json", "rb"))
local body = file:read("*a"):gsub("%s+$", "")
file:close()
if stream then body = body:gsub('"stream":false', '"stream":true', 1) end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer demo-access-token"
wrk.body = body
