-- GET /recordings/{id} for the recording named by BENCH_REC.
wrk.method = "GET"
wrk.path = "/api/v1/recordings/" .. os.getenv("BENCH_REC")
wrk.headers["X-API-KEY"] = "bench-key"
