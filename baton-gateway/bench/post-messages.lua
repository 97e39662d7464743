-- wrk script: POST /v1/messages with a unique id per request, spread over pre-made users (JWTs).
-- Usage: wrk -t2 -c64 -d20s -s post-messages.lua http://127.0.0.1:8089 -- tokens.txt
local tokens = {}
local counter = 0
local thread_id = 0
local threads = {}
local run = tostring(os.time())

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  for line in io.lines(args[1]) do tokens[#tokens + 1] = line end
  thread_id = id
  accepted, duplicate, busy, other = 0, 0, 0, 0
end

function request()
  counter = counter + 1
  local tok = tokens[(counter * 7 + thread_id * 13) % #tokens + 1]
  local body = '{"id":"' .. run .. '-t' .. thread_id .. '-' .. counter .. '","text":"load test message"}'
  return wrk.format("POST", "/v1/messages",
    {["Authorization"] = "Bearer " .. tok, ["Content-Type"] = "application/json"}, body)
end

function response(status, headers, body)
  if status == 202 then accepted = accepted + 1
  elseif status == 200 then duplicate = duplicate + 1
  elseif status == 429 then busy = busy + 1
  else other = other + 1 end
end

function done(summary, latency, requests)
  local a, d, b, o = 0, 0, 0, 0
  for _, t in ipairs(threads) do
    a = a + t:get("accepted"); d = d + t:get("duplicate"); b = b + t:get("busy"); o = o + t:get("other")
  end
  local secs = summary.duration / 1e6
  io.write(string.format("accepted=%d duplicate=%d busy=%d other=%d accepted_per_s=%.0f\n", a, d, b, o, a / secs))
  io.write(string.format("latency_ms p50=%.2f p90=%.2f p99=%.2f max=%.2f\n", latency:percentile(50) / 1000,
    latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
