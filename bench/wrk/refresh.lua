-- wrk script: OAuth 2.0 refresh-token grants against the bench emulator
-- (bench/emulatorserver) with org 0's seeded refresh token.
-- Usage: wrk -t2 -c32 -d15s -s bench/wrk/refresh.lua http://127.0.0.1:8585
wrk.method = "POST"
wrk.path = "/services/oauth2/token"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.body = "grant_type=refresh_token&client_id=warden-bench-0000&refresh_token=5Aep861BenchRefresh0000"
