using System.Text;

namespace QwenFastProxy.Observability;

/// <summary>
/// The page at <c>GET /</c> and <c>/status</c>: one self-contained HTML document (inline CSS and script, no external
/// asset) that polls <c>/status.json</c> every 2 s. Rates (requests per second, recent error rate) are worked out in
/// the browser from successive reports. With PROXY_API_KEYS set, the key is read from the address's fragment
/// (<c>/#key=…</c>: never sent to the server in the URL, so never logged) and sent as a bearer token.
/// </summary>
internal static class StatusPage
{
    /// <summary>The page's header line.</summary>
    public static ReadOnlySpan<byte> ContentTypeHeader => "Content-Type: text/html; charset=utf-8\r\nCache-Control: no-store\r\n"u8;

    /// <summary>The page, UTF-8.</summary>
    public static ReadOnlySpan<byte> Html => HtmlBytes;

    private static readonly byte[] HtmlBytes = Encoding.UTF8.GetBytes("""
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>QwenFastProxy status</title>
<style>
:root{color-scheme:light dark;--ok:#1a7f37;--bad:#cf222e;--warn:#9a6700;--muted:#6e7781;--card:#f6f8fa;--line:#d0d7de}
@media (prefers-color-scheme:dark){:root{--card:#161b22;--line:#30363d;--muted:#8b949e;--ok:#3fb950;--bad:#f85149;--warn:#d29922}}
*{box-sizing:border-box}
body{font:15px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;padding:24px;max-width:1100px;margin-inline:auto}
header{display:flex;align-items:center;gap:16px;flex-wrap:wrap;margin-bottom:20px}
h1{font-size:22px;margin:0}
.pill{padding:4px 12px;border-radius:999px;font-weight:600;color:#fff;background:var(--muted)}
.pill.ok{background:var(--ok);color:#fff}.pill.bad{background:var(--bad);color:#fff}.pill.warn{background:var(--warn);color:#fff}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(240px,1fr));gap:12px}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:14px 16px}
.label{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.04em}
.value{font-size:26px;font-weight:650;margin-top:4px;font-variant-numeric:tabular-nums;word-break:break-all}
.value.small{font-size:15px;font-weight:500}
.ok{color:var(--ok)}.bad{color:var(--bad)}.warn{color:var(--warn)}
footer{margin-top:18px;color:var(--muted);font-size:12px}
</style>
</head>
<body>
<header><h1>QwenFastProxy</h1><span id="ready" class="pill">loading…</span><span id="reason" class="label"></span></header>
<div class="grid">
<div class="card"><div class="label">Upstream</div><div id="upstream" class="value small">–</div></div>
<div class="card"><div class="label">Mode</div><div id="mode" class="value">–</div></div>
<div class="card"><div class="label">Token expires in</div><div id="token" class="value">–</div></div>
<div class="card"><div class="label">Circuit breaker</div><div id="circuit" class="value">–</div></div>
<div class="card"><div class="label">Requests / s</div><div id="rps" class="value">–</div></div>
<div class="card"><div class="label">Error rate (5xx, last 30 s)</div><div id="errors" class="value">–</div></div>
<div class="card"><div class="label">Requests total</div><div id="total" class="value">–</div></div>
<div class="card"><div class="label">Active connections / streams</div><div id="active" class="value">–</div></div>
<div class="card"><div class="label">Stutter repairs (chunks / bytes)</div><div id="stutter" class="value">–</div></div>
<div class="card"><div class="label">Upstream attempts / retries</div><div id="attempts" class="value">–</div></div>
<div class="card"><div class="label">Token refreshes / failures</div><div id="refresh" class="value">–</div></div>
<div class="card"><div class="label">Uptime</div><div id="uptime" class="value">–</div></div>
</div>
<footer>Refreshes every 2 s from <code>/status.json</code>. Prometheus figures at <code>/metrics</code>. <span id="updated"></span></footer>
<script>
"use strict";
const $=id=>document.getElementById(id);
const key=(location.hash.match(/[#&]key=([^&]+)/)||[])[1];
const headers=key?{Authorization:"Bearer "+decodeURIComponent(key)}:{};
const samples=[];let expiresAt=null,serverOffset=0;
const fmt=n=>n.toLocaleString("en-US");
function dur(s){if(s<0)return"expired";const d=Math.floor(s/86400),h=Math.floor(s%86400/3600),m=Math.floor(s%3600/60),x=Math.floor(s%60);
return(d?d+"d ":"")+(d||h?h+"h ":"")+(d||h||m?m+"m ":"")+x+"s";}
function set(id,text,cls){const e=$(id);e.textContent=text;if(cls!==undefined)e.className=e.className.replace(/ (ok|bad|warn)$/,"")+(cls?" "+cls:"");}
function tick(){if(expiresAt===null){set("token","none (API key)");return;}
const left=(expiresAt-(Date.now()+serverOffset))/1000;set("token",dur(left),left<0?"bad":left<600?"warn":"ok");}
async function poll(){
try{const r=await fetch("status.json",{headers,cache:"no-store"});
if(r.status===401){set("ready","key needed","");$("ready").className="pill bad";$("reason").textContent="open this page as /#key=YOUR_PROXY_API_KEY";return;}
const s=await r.json();serverOffset=s.now_ms-Date.now();
const p=$("ready");p.textContent=s.status==="ready"?"ready":"not ready";p.className="pill "+(s.status==="ready"?"ok":"bad");
$("reason").textContent=s.reason||"";
set("upstream",s.upstream);set("mode",s.mode==="oauth"?"Qwen OAuth":"API key"+(s.plan?" · "+s.plan:""));
expiresAt=s.token_expires_at_ms;tick();
set("circuit",s.circuit.replace("_","-"),s.circuit==="closed"?"ok":s.circuit==="open"?"bad":"warn");
samples.push({t:s.now_ms,n:s.requests_total,e:s.server_errors_total});while(samples.length>16)samples.shift();
if(samples.length>1){const a=samples[samples.length-2],b=samples[samples.length-1];const dt=(b.t-a.t)/1000;
set("rps",dt>0?(Math.max(0,b.n-a.n)/dt).toFixed(1):"–");
const w=samples.find(x=>b.t-x.t<=30000)||a;const dn=b.n-w.n,de=b.e-w.e;
set("errors",dn>0?(100*de/dn).toFixed(1)+" %":"0 %",de>0?(de/dn>0.05?"bad":"warn"):"ok");}
else{set("rps","…");set("errors","…");}
set("total",fmt(s.requests_total));set("active",fmt(s.active_connections)+" / "+fmt(s.active_streams));
set("stutter",fmt(s.stutter_chunks_repaired_total)+" / "+fmt(s.stutter_bytes_removed_total));
set("attempts",fmt(s.upstream_attempts_total)+" / "+fmt(s.upstream_retries_total));
set("refresh",fmt(s.token_refreshes_total)+" / "+fmt(s.token_refresh_failures_total),s.token_refresh_failures_total>0?"warn":"");
set("uptime",dur(s.uptime_seconds));
$("updated").textContent="Version "+s.version+", updated "+new Date().toLocaleTimeString()+".";
}catch(err){const p=$("ready");p.textContent="unreachable";p.className="pill bad";$("reason").textContent=String(err);}
}
poll();setInterval(poll,2000);setInterval(tick,1000);
</script>
</body>
</html>
""");
}
