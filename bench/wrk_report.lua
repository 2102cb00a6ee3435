-- wrk script for bench/roster_api.py. Headers come from BENCH_HEADERS ("Name: value" lines),
-- the path from BENCH_PATH. At the end it prints the summary and the whole latency histogram
-- (microseconds -> count) so that several wrk processes, one per server, can be merged into
-- exact percentiles by the Python side.
wrk.method = "GET"
wrk.path = os.getenv("BENCH_PATH") or "/"
for line in string.gmatch(os.getenv("BENCH_HEADERS") or "", "[^\n]+") do
  local name, value = line:match("^([^:]+):%s*(.-)%s*$")
  if name then
    wrk.headers[name] = value
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "summary %d %d %d %d %d %d %d\n",
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout
  ))
  -- latency(i) is the i-th distinct latency recorded and how many requests took it.
  for i = 1, #latency do
    local micros, n = latency(i)
    io.write(string.format("hist %d %d\n", micros, n))
  end
end
