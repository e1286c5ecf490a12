-- wrk script: each request submits a check-in through the private link of
-- a random seeded treatment. TOKENS names the file of link secrets.
local tokens = {}
for line in io.lines(os.getenv("TOKENS")) do
  tokens[#tokens + 1] = line
end

local body = '{"at":"2026-11-21T09:00:00Z","symptoms":['
  .. '{"kind":"twitching","severity":"mild","frequency":"occasionally","regions":["calves"],"side":"both"},'
  .. '{"kind":"soreness","severity":"moderate","regions":["lower_back"]}],'
  .. '"context":{"hydration":"low","sleep_hours":6}}'
local headers = { ["Content-Type"] = "application/json" }

function init(args)
  math.randomseed(os.time() + math.floor(os.clock() * 1000000))
end

function request()
  local token = tokens[math.random(#tokens)]
  return wrk.format("POST", "/api/v1/links/" .. token .. "/checkins", headers, body)
end
