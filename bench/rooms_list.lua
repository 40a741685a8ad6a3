-- GET /rooms?maxItems=10: one page merged from every shard.
wrk.method = "GET"
wrk.path = "/api/v1/rooms?maxItems=10"
wrk.headers["X-API-KEY"] = "bench-key"
