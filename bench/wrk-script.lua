-- Request generator for bench/run.ts (Debian wrk 4.1, LuaJIT).
-- Arguments after "--", as key=value:
--   host=NAME          Host header
--   path=/x            request target
--   cookies=FILE       one Cookie header value per line; requests rotate through them
--   header=Name:Value  an extra header (repeatable)
--   rate=N             fixed rate in requests/s for the whole run (needs wrk-paced.lua appended)
--   threads=N          wrk's -t, to split the rate between threads
-- On exit prints one line "WRK_JSON {...}" with counts and latency percentiles (µs).

local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
  int clock_gettime(int clk_id, bench_timespec *tp);
]]
local CLOCK_MONOTONIC = 1
local ts = ffi.new("bench_timespec")
local function now_ms()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, ts)
  return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end

local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

local requests = {}
local index = 0
local interval = 0
local next_slot = nil
non2xx = 0
responses = 0

function init(args)
  local host, path, cookies, rate, nthreads = nil, "/", nil, 0, 1
  local extra = {}
  for _, arg in ipairs(args) do
    local key, value = arg:match("^([%w_]+)=(.*)$")
    if key == "host" then host = value
    elseif key == "path" then path = value
    elseif key == "cookies" then cookies = value
    elseif key == "rate" then rate = tonumber(value)
    elseif key == "threads" then nthreads = tonumber(value)
    elseif key == "header" then
      local name, v = value:match("^([^:]+):(.*)$")
      extra[name] = v
    end
  end
  local function build(cookie)
    local headers = {}
    for name, v in pairs(extra) do headers[name] = v end
    if host then headers["Host"] = host end
    if cookie then headers["Cookie"] = cookie end
    return wrk.format("GET", path, headers)
  end
  if cookies then
    for line in io.lines(cookies) do
      if line ~= "" then table.insert(requests, build(line)) end
    end
    -- Threads start at different places in the list, so they do not walk it in step.
    index = (id * 7919) % #requests
  else
    requests[1] = build(nil)
  end
  if rate > 0 then interval = 1000 / (rate / nthreads) end
end

function request()
  index = index % #requests + 1
  return requests[index]
end

function response(status, headers, body)
  responses = responses + 1
  if status < 200 or status > 299 then non2xx = non2xx + 1 end
end

function done(summary, latency, requests_)
  local n2 = 0
  for _, thread in ipairs(threads) do n2 = n2 + (thread:get("non2xx") or 0) end
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"non2xx":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"p50":%d,"p90":%d,"p99":%d,"p999":%d,"max":%d,"mean":%.1f}}\n',
    summary.requests, summary.duration, summary.bytes, n2,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9),
    latency.max, latency.mean))
end
