-- bench/pipeline.lua: HTTP pipelining for wrk, as in TechEmpower's plaintext test.
--
--   wrk -t1 -c64 -d5s --latency -s bench/pipeline.lua http://127.0.0.1:PORT/hello -- 16 64
--
-- Every write on a connection carries DEPTH (the first argument after --, 16 if none) copies
-- of the request for the URL's path, back to back; wrk counts each response as a request and
-- sends the next batch when all DEPTH responses of the last one have arrived. wrk records
-- one latency per batch: from its write to the last of its DEPTH responses.
--
-- wrk's own latency percentiles are wrong with pipelining: after the run it "corrects" for
-- coordinated omission with an expected interval per connection of duration / (requests /
-- connections), which counts responses, not batches, so it is DEPTH times too short; it then
-- adds up to DEPTH made-up samples for every batch, most of them below the smallest measured
-- latency, where its percentile function does not look (it prints 0 for p99). done() below
-- undoes that correction (it is deterministic; the second argument must be wrk's -c) and
-- prints the measured batch latencies on one line (responses_per_batch, about DEPTH, checks
-- that every batch was counted once):
--
--   pipeline: depth=16 batches=N responses_per_batch=… p50_us=… p90_us=… p99_us=… max_us=… …

local depth = 16
local batch
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  depth = tonumber(args[1]) or depth
  connections = tonumber(args[2]) -- global: done() reads it with thread:get()
  pipeline_depth = depth
  local one = wrk.format()
  local copies = {}
  for i = 1, depth do
    copies[i] = one
  end
  batch = table.concat(copies)
end

function request()
  return batch
end

function done(summary, latency, requests)
  local conns = threads[1] and threads[1]:get("connections")
  local d = threads[1] and threads[1]:get("pipeline_depth") or depth
  if not conns then
    print("pipeline: no connection count (run with -- DEPTH CONNECTIONS)")
    return
  end
  -- wrk's stats_correct(latency, e): for every bucket n >= 2e it adds its count to the
  -- buckets n - e, n - 2e, ... while they are > e. So a corrected bucket n > e holds its own
  -- samples plus those of n + e, n + 2e, ..., which is what bucket n + e holds: the measured
  -- count of bucket n is C[n] - C[n + e] (and C[n] for n <= e).
  local per_conn = math.floor(summary.requests / conns)
  local e = per_conn > 0 and math.floor(summary.duration / per_conn) or 0
  local lo, hi, buckets = latency.min, latency.max, #latency
  -- latency(i) is the i-th non-empty bucket (value, count), found by a scan from the minimum:
  -- reading them all costs about buckets x (max - min) steps.
  if buckets * (hi - lo) > 1e10 then
    print(string.format("pipeline: depth=%d latencies too spread out to read back (%d buckets from %d to %d us)", d, buckets, lo, hi))
    return
  end
  local corrected = {}
  for i = 1, buckets do
    local value, count = latency(i)
    corrected[value] = count
  end
  local measured, total = {}, 0
  for n = lo, hi do
    local c = corrected[n]
    if c then
      local o = c
      if e > 0 and n > e then
        o = c - (corrected[n + e] or 0)
      end
      if o > 0 then
        measured[n] = o
        total = total + o
      end
    end
  end
  local function percentile(p)
    local rank = math.floor(p / 100 * total + 1)
    local seen = 0
    for n = lo, hi do
      seen = seen + (measured[n] or 0)
      if seen >= rank then
        return n
      end
    end
    return hi
  end
  io.write(string.format(
    "pipeline: depth=%d batches=%d responses_per_batch=%.2f p50_us=%d p90_us=%d p99_us=%d max_us=%d interval_us=%d\n",
    d, total, total > 0 and summary.requests / total or 0, percentile(50), percentile(90),
    percentile(99), hi, e))
end
