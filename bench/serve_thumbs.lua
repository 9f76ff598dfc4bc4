-- wrk script of bench/serve.sh: GETs that cycle through the paths in the file
-- $BENCH_PATHS (one a line), with the session cookie $BENCH_COOKIE when set
-- and "Connection: close" when $BENCH_CLOSE=1; prints one machine-readable
-- line at the end:
--   BENCH requests non2xx connect read write timeout duration_us p50_us p99_us max_us
local paths = {}
for line in io.lines(os.getenv("BENCH_PATHS")) do
    if #line > 0 then paths[#paths + 1] = line end
end
local cookie = os.getenv("BENCH_COOKIE") or ""
local close = os.getenv("BENCH_CLOSE") == "1"
local n = 0

function init(args)
    -- threads start at different places in the cycle
    n = math.random(#paths)
end

function request()
    n = n + 1
    local h = {}
    if cookie ~= "" then h["Cookie"] = "ba_session=" .. cookie end
    if close then h["Connection"] = "close" end
    return wrk.format("GET", paths[(n % #paths) + 1], h)
end

function done(summary, latency, requests)
    local e = summary.errors
    io.write(string.format("BENCH %d %d %d %d %d %d %d %d %d %d\n", summary.requests,
        e.status, e.connect, e.read, e.write, e.timeout, summary.duration,
        latency:percentile(50), latency:percentile(99), latency.max))
end
