#!/usr/bin/env bash
# make bench: measures meetd beside the fixed-response baseline, in one run.
#
# The server side (baseline, or meetd with its workers) is pinned to CPU 0
# and wrk to CPU 1, so that the two compete as little as the machine allows.
# Every scenario prints requests/s and latency percentiles; the ratio to the
# baseline is what to compare across machines.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=build/release/bin
DURATION=${BENCH_DURATION:-10}
CONNS=${BENCH_CONNECTIONS:-64}
SERVER_CPU=${BENCH_SERVER_CPU:-0}
CLIENT_CPU=${BENCH_CLIENT_CPU:-1}
PORT_BASE=${BENCH_PORT:-6090}
TMP=$(mktemp -d)
PIDS=()

cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    [ -n "${BENCH_KEEP:-}" ] && cp -r "$TMP" "$BENCH_KEEP"
    rm -rf "$TMP"
}
trap cleanup EXIT

wait_port() {
    for _ in $(seq 1 200); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
        sleep 0.05
    done
    echo "server on port $1 did not start" >&2
    exit 1
}

# run_wrk NAME URL SCRIPT [extra wrk args]: prints one result line and keeps
# the requests/s in $RPS.
run_wrk() {
    local name=$1 url=$2 script=$3
    shift 3
    local out
    out=$(taskset -c "$CLIENT_CPU" wrk -t1 -c"$CONNS" -d"${DURATION}s" \
          --latency -s "$script" "$@" "$url")
    RPS=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
    local p50 p99 non2xx
    p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
    p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
    non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $5}' <<<"$out")
    printf '%-28s %12s req/s   p50 %8s   p99 %8s   non-2xx %s\n' \
        "$name" "$RPS" "$p50" "$p99" "${non2xx:-0}"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f %%", 100 * a / b; else print "n/a" }'; }

echo "meetd benchmark: ${DURATION}s per scenario, ${CONNS} connections," \
     "server on CPU ${SERVER_CPU}, wrk on CPU ${CLIENT_CPU}"

# Baseline: one libuv + llhttp loop answering a fixed ~600-byte JSON body.
taskset -c "$SERVER_CPU" "$BIN/meetd-baseline" "$PORT_BASE" >/dev/null &
PIDS+=($!)
wait_port "$PORT_BASE"
run_wrk "baseline (fixed response)" "http://127.0.0.1:$PORT_BASE" bench/baseline.lua
BASE_RPS=$RPS

# meetd with two workers, all pinned to the server CPU.
MEETD_PORT=$((PORT_BASE + 1))
MEET_INITIAL_API_KEY=bench-key MEET_LOG_LEVEL=warn \
    taskset -c "$SERVER_CPU" "$BIN/meetd" --port "$MEETD_PORT" --host 127.0.0.1 \
    --data-dir "$TMP/data" --workers 2 >"$TMP/meetd.out" 2>"$TMP/meetd.err" &
MEETD_PID=$!
PIDS+=($MEETD_PID)
wait_port "$MEETD_PORT"
URL="http://127.0.0.1:$MEETD_PORT"

run_wrk "GET /health (all shards)" "$URL" bench/health.lua
echo "  ratio to baseline: $(ratio "$RPS" "$BASE_RPS")"

# Rooms: creation (each request commits one room with synchronous=FULL),
# then GET of random rooms among at least 100,000, then one merged page.
run_wrk "POST /rooms" "$URL" bench/rooms_create.lua
echo "  ratio to baseline: $(ratio "$RPS" "$BASE_RPS")"
python3 bench/fill.py "$URL" bench-key "${BENCH_ROOMS:-100000}" "$TMP/ids" | sed 's/^/  data set: /'
BENCH_IDS="$TMP/ids" run_wrk "GET /rooms/{id}" "$URL" bench/room_get.lua
echo "  ratio to baseline: $(ratio "$RPS" "$BASE_RPS")"
run_wrk "GET /rooms?maxItems=10" "$URL" bench/rooms_list.lua
echo "  ratio to baseline: $(ratio "$RPS" "$BASE_RPS")"

# LiveKit webhook intake: signed participant_joined events for 10,000 rooms
# (the first pass applies them, later passes are verified duplicates).
head -n 10000 "$TMP/ids" | "$BIN/meetctl" bench-requests - "$TMP/webhooks" >/dev/null
BENCH_WEBHOOKS="$TMP/webhooks" run_wrk "POST /livekit/webhook" "$URL" bench/webhooks.lua
echo "  ratio to baseline: $(ratio "$RPS" "$BASE_RPS")"

# Recordings: one complete local recording (≥ 1 MiB), then reads of it.
REC=$(python3 bench/record.py "$URL" bench-key "$BIN/meetctl")
BENCH_REC="$REC" run_wrk "GET /recordings/{id}" "$URL" bench/rec_get.lua
echo "  ratio to baseline: $(ratio "$RPS" "$BASE_RPS")"
BENCH_REC="$REC" run_wrk "GET media, 1 MiB range" "$URL" bench/media_range.lua
echo "  ratio to baseline: $(ratio "$RPS" "$BASE_RPS"); $(awk -v r="$RPS" 'BEGIN { printf "%.0f MiB/s", r }')"

# Fault scenario: kill -9 one worker in the middle of a run. The gateway
# must stay up, the other shard keep serving, and the killed shard serve
# again within a second.
health_pid() {
    curl -s "$URL/health" | python3 -c \
        'import json,sys; print(json.load(sys.stdin)["workers"][int(sys.argv[1])]["pid"])' "$1"
}
OLD_PID=$(health_pid 1)
taskset -c "$CLIENT_CPU" wrk -t1 -c"$CONNS" -d"${DURATION}s" --latency \
    -s bench/health.lua "$URL" >"$TMP/fault.out" &
WRK_PID=$!
sleep $((DURATION / 3))
kill -9 "$OLD_PID"
T0=$(date +%s%N)
RECOVERED=""
while [ $(( ($(date +%s%N) - T0) / 1000000 )) -lt 5000 ]; do
    code=$(curl -s -o "$TMP/h.json" -w '%{http_code}' "$URL/health" || true)
    if [ "$code" = 200 ]; then
        NEW_PID=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["workers"][1]["pid"])' "$TMP/h.json")
        if [ "$NEW_PID" != "$OLD_PID" ]; then
            RECOVERED=$(( ($(date +%s%N) - T0) / 1000000 ))
            break
        fi
    fi
    sleep 0.01
done
wait "$WRK_PID"
FAULT_RPS=$(awk '/^Requests\/sec:/ {print $2}' "$TMP/fault.out")
FAULT_NON2XX=$(awk '/Non-2xx or 3xx responses:/ {print $5}' "$TMP/fault.out")
FAULT_ERRS=$(awk '/Socket errors:/ {print}' "$TMP/fault.out")
if kill -0 "$MEETD_PID" 2>/dev/null; then GW=up; else GW=DOWN; fi
printf '%-28s %12s req/s   503s during the outage: %s   %s\n' \
    "GET /health, kill -9 shard 1" "$FAULT_RPS" "${FAULT_NON2XX:-0}" "${FAULT_ERRS:-no socket errors}"
echo "  gateway after the kill: $GW; shard 1 serving again after: ${RECOVERED:-NOT RECOVERED} ms"
[ "$GW" = up ] && [ -n "$RECOVERED" ] && [ "$RECOVERED" -lt 1000 ]
