-- wrk script for the sustained mixed load: four in five requests submit a
-- check-in through a random seeded link; the fifth reads a page of the
-- clinic's treatments or open alerts with the API token. TOKENS names the
-- file of link secrets, API_TOKEN_FILE the token file, DELAY_MS the pause
-- each connection takes between requests (to hold a rate below the peak).
local links = {}
for line in io.lines(os.getenv("TOKENS")) do
  links[#links + 1] = line
end
local api_token = io.open(os.getenv("API_TOKEN_FILE")):read("*l")
local pause = tonumber(os.getenv("DELAY_MS") or "0")

local body = '{"at":"2026-11-21T09:00:00Z","symptoms":['
  .. '{"kind":"twitching","severity":"mild","frequency":"occasionally","regions":["calves"],"side":"both"},'
  .. '{"kind":"soreness","severity":"moderate","regions":["lower_back"]}],'
  .. '"context":{"hydration":"low","sleep_hours":6}}'
local post_headers = { ["Content-Type"] = "application/json" }
local read_headers = { ["Authorization"] = "Bearer " .. api_token }
local reads = { "/api/v1/treatments?limit=20", "/api/v1/alerts?limit=20" }
local count = 0

function init(args)
  math.randomseed(os.time() + math.floor(os.clock() * 1000000))
end

function request()
  count = count + 1
  if count % 5 == 0 then
    return wrk.format("GET", reads[(count / 5) % 2 + 1], read_headers)
  end
  local link = links[math.random(#links)]
  return wrk.format("POST", "/api/v1/links/" .. link .. "/checkins", post_headers, body)
end

function delay()
  return pause
end
