-- GET /rooms/{roomId} for random ids read from the file named by the
-- BENCH_IDS environment variable (one id per line).
local ids = {}

function init(args)
    local f = assert(io.open(os.getenv("BENCH_IDS"), "r"))
    for line in f:lines() do
        ids[#ids + 1] = line
    end
    f:close()
    math.randomseed(os.time())
end

function request()
    local id = ids[math.random(#ids)]
    return wrk.format("GET", "/api/v1/rooms/" .. id, {["X-API-KEY"] = "bench-key"})
end
