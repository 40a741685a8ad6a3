-- POST /livekit/webhook with signed participant_joined events, read from the
-- file named by BENCH_WEBHOOKS: one "<token> <body>" line per event, as
-- `meetctl bench-requests` writes them. Each request is verified (HS256 and
-- the body's SHA-256) and applied in its room's shard.
local reqs = {}
local i = 0

function init(args)
    local f = assert(io.open(os.getenv("BENCH_WEBHOOKS"), "r"))
    for line in f:lines() do
        local sp = line:find(" ", 1, true)
        reqs[#reqs + 1] = wrk.format("POST", "/livekit/webhook", {
            ["Content-Type"] = "application/webhook+json",
            ["Authorization"] = line:sub(1, sp - 1),
        }, line:sub(sp + 1))
    end
    f:close()
end

function request()
    i = i % #reqs + 1
    return reqs[i]
end
