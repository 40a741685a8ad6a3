-- A 1 MiB ranged read of the media of the recording named by BENCH_REC.
wrk.method = "GET"
wrk.path = "/api/v1/recordings/" .. os.getenv("BENCH_REC") .. "/media"
wrk.headers["X-API-KEY"] = "bench-key"
wrk.headers["Range"] = "bytes=0-1048575"
