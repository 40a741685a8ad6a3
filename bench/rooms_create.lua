-- POST /rooms with a small JSON body; every request creates one room.
wrk.method = "POST"
wrk.path = "/api/v1/rooms"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-API-KEY"] = "bench-key"
wrk.body = '{"roomName":"Bench Room","config":{"chat":{"enabled":false}}}'
