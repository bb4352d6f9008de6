-- One wrk script for every benchmark run (bench/run.py). Arguments after "--": METHOD [BODY].
-- done() prints one line, "WRK_JSON {...}", that run.py reads: counts and latency percentiles in us.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  wrk.method = args[1] or "GET"
  if args[2] and args[2] ~= "" then
    wrk.body = args[2]
    wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  end
  server_errors = 0
end

-- How many answers took longer than `limit` us: the top percentile above it, found by bisection.
local function slower_than(latency, count, limit)
  if latency.max <= limit then
    return 0
  end
  local low, high = 0.0, 100.0
  for _ = 1, 40 do
    local middle = (low + high) / 2
    if latency:percentile(middle) > limit then high = middle else low = middle end
  end
  return math.floor(count * (100 - high) / 100 + 0.5)
end

function done(summary, latency, requests)
  local fives = 0
  for _, thread in ipairs(threads) do
    fives = fives + (thread:get("server_errors") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "bytes": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, ' ..
    '"max_us": %d, "connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d, "server_errors": %d, "over_2s": %d}\n',
    summary.requests, summary.duration, summary.bytes, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, e.connect, e.read, e.write, e.status, e.timeout, fives,
    slower_than(latency, summary.requests, 2000000)))
end
