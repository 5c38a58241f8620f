-- wrk script for bench/http_pages.py: each request takes the next line of the scenario's file
-- (method, path, cookie header, form body), so every request is a different signed-in person
-- with their own session and CSRF token. Prints one JSON line with the figures at the end.
local lines = {}
local idx = 0
local host = "ratpark.example.org"

function init(args)
  for line in io.lines(args[1]) do
    local method, path, cookie, body = line:match("^(%S+)\t(%S+)\t([^\t]*)\t?(.*)$")
    table.insert(lines, { method, path, cookie, body })
  end
  idx = math.random(#lines)
end

function request()
  idx = idx % #lines + 1
  local l = lines[idx]
  local headers = {
    Host = host,
    Cookie = l[3],
    ["X-Forwarded-Proto"] = "https",
    ["X-Forwarded-For"] = "203.0.113.9",
    Referer = "https://" .. host .. "/checkins/",
  }
  if l[1] == "POST" then
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    return wrk.format("POST", l[2], headers, l[4])
  end
  return wrk.format("GET", l[2], headers, nil)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'JSON {"requests": %d, "duration_us": %d, "p50": %d, "p95": %d, "p99": %d, "errors": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), e.connect + e.read + e.write + e.status + e.timeout))
end
