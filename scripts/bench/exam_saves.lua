-- wrk script for the throughput phases of exam_load.py: answer saves as the terminal page sends them, or the
-- baseline's bare INSERTs. Lean on purpose: the load generator shares the machine's two cores with the server.
--
-- Settings come from the environment (wrk's main Lua state never sees script arguments, and it decides from
-- that state whether delay() exists):
--   BENCH_MODE        save | insert
--   BENCH_DATA        save mode: the signed-in candidates, a line each (written by exam_load.py)
--   BENCH_THINK_MS    think time before each request, 0.5–1.5 × this (0: back to back)
--   BENCH_SEQ_BASE    first sequence number minus one (each phase starts above the previous one)
--   BENCH_ACKS        save mode: file prefix; thread k writes "<attempt> <position> <seq> <chosen>" per applied save
--   BENCH_THREADS     wrk's -t, so that each thread takes its own share of the candidates

local mode = os.getenv("BENCH_MODE") or "save"
local think_ms = tonumber(os.getenv("BENCH_THINK_MS") or "0")
local threads = tonumber(os.getenv("BENCH_THREADS") or "1")
local seq = tonumber(os.getenv("BENCH_SEQ_BASE") or "0")

local wrk_threads = {}
function setup(thread)
  wrk_threads[#wrk_threads + 1] = thread
  thread:set("thread_number", #wrk_threads)
end

if think_ms > 0 then
  function delay()
    return think_ms * (0.5 + math.random())
  end
end

local candidates, pending, acks = {}, {}, nil
local turn = 0
unmatched, unapplied = 0, 0  -- globals: done() reads them from each thread

function init(args)
  math.randomseed(thread_number * 7919)
  if mode == "save" then
    local i = 0
    for line in io.lines(os.getenv("BENCH_DATA")) do
      i = i + 1
      if (i - 1) % threads == thread_number - 1 then
        local attempt, cookie, csrf, shapes = line:match("^(%d+)\t([^\t]*)\t([^\t]*)\t(.*)$")
        local questions = {}
        for position, count, multiple in shapes:gmatch("(%d+):(%d+):(%d)") do
          questions[#questions + 1] = {tonumber(position), tonumber(count), multiple == "1"}
        end
        candidates[#candidates + 1] = {attempt = attempt, cookie = cookie, csrf = csrf, questions = questions}
      end
    end
    acks = io.open(os.getenv("BENCH_ACKS") .. thread_number, "w")
    acks:setvbuf("line")  -- written as they come: wrk gives a thread no hook at its end to flush
  end
end

-- A valid choice for a question {position, option count, multiple?}: as a candidate would pick.
local function pick(question)
  local count = question[2]
  if not question[3] then
    return tostring(math.random(count) - 1)
  end
  local picked = {}
  for option = 0, count - 1 do
    if math.random() < 0.5 then picked[#picked + 1] = option end
  end
  if #picked == 0 then picked[1] = math.random(count) - 1 end
  return table.concat(picked, ",")
end

function request()
  seq = seq + 1
  if mode == "insert" then
    return wrk.format("POST", "/insert", {["Content-Type"] = "application/json"},
      string.format('{"attempt":%d,"position":%d,"seq":%d,"chosen":[1]}', thread_number, seq % 100 + 1, seq))
  end
  turn = turn % #candidates + 1
  local c = candidates[turn]
  local question = c.questions[math.random(#c.questions)]
  local chosen = pick(question)
  pending[seq] = c.attempt .. " " .. question[1] .. " " .. seq .. " " .. chosen
  return wrk.format("POST", "/terminal/api/save",
    {["Content-Type"] = "application/json", ["Accept"] = "application/json", ["Cookie"] = c.cookie,
     ["X-CSRFToken"] = c.csrf},
    string.format('{"position":%d,"chosen":[%s],"marked":false,"seq":%d}', question[1], chosen, seq))
end

function response(status, headers, body)
  if mode ~= "save" then return end
  if status ~= 200 then return end  -- wrk counts it (errors.status)
  local answered = tonumber(body:match('"acknowledged"%s*:%s*{[^}]*"seq"%s*:%s*(%d+)'))
  local line = answered and pending[answered]
  if line == nil then
    unmatched = unmatched + 1
    return
  end
  pending[answered] = nil
  if body:find('"applied"%s*:%s*true') then
    acks:write(line, "\n")
  else
    unapplied = unapplied + 1
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  local not_matched, not_applied = 0, 0
  for _, thread in ipairs(wrk_threads) do
    not_matched = not_matched + thread:get("unmatched")
    not_applied = not_applied + thread:get("unapplied")
  end
  io.write(string.format(
    "WRK requests=%d duration_us=%d p50_us=%d p90_us=%d p99_us=%d p999_us=%d max_us=%d connect=%d read=%d " ..
    "write=%d status=%d timeout=%d unmatched=%d unapplied=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max,
    e.connect, e.read, e.write, e.status, e.timeout, not_matched, not_applied))
end
