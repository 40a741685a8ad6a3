-- GET /health: one request round-trips to every shard worker.
wrk.method = "GET"
wrk.path = "/health"
