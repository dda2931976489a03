-- wrk script: POST /broker/v1/token for one user with a broker key, the
-- cached-session path of Warden's token broker (bench/broker -mode serve).
-- Usage: BROKER_KEY=wbk_... BROKER_USER=int@bench.example \
--   wrk -t2 -c32 -d15s --latency -s bench/wrk/broker-token.lua http://127.0.0.1:8686
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BROKER_KEY")
wrk.body = '{"user":"' .. os.getenv("BROKER_USER") .. '"}'
wrk.path = "/broker/v1/token"
