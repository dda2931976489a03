-- wrk script: OAuth 2.0 username-password grants against the bench
-- emulator (bench/emulatorserver), rotating over the 100 integration users
-- of org 0 so that no user nears Salesforce's 3,600 logins per hour.
-- Usage: wrk -t2 -c32 -d15s -s bench/wrk/password.lua http://127.0.0.1:8585
local users = 100
local requests = {}

init = function(args)
  for j = 0, users - 1 do
    local body = string.format(
      "grant_type=password&client_id=warden-bench-0000&client_secret=warden-bench-secret" ..
      "&username=int%03d%%40org0000.bench&password=Bench-Int-Passw0rd1BENCHINTTOKEN0000001", j)
    requests[j + 1] = wrk.format("POST", "/services/oauth2/token",
      { ["Content-Type"] = "application/x-www-form-urlencoded" }, body)
  end
end

local i = 0
request = function()
  i = i % users + 1
  return requests[i]
end
