/*
 * gw_shard: the pool of shard workers, seen from the gateway.
 *
 * The pool spawns one freshly executed meetd-worker per shard with a
 * socketpair on its fd 3, waits for its READY, and supervises it: a worker
 * that exits, breaks the protocol or stops answering is killed and
 * restarted with back-off, and every request it had in flight is answered
 * at once with OV_EUNAVAIL. Requests for a shard that is not ready fail
 * immediately with OV_EUNAVAIL; other shards are unaffected.
 *
 * Callers use one stub per operation, generated from IPC_RPC_MAP:
 *
 *   int gw_shard_<req>(gw_pool_t *p, uint32_t shard,
 *                      const ipc_<req>_t *msg, gw_<reply>_cb cb, void *data);
 *
 * It returns 0 and later calls cb exactly once, with err 0 and the decoded
 * reply (valid only during the call), or with an ov_err code and a NULL
 * reply (the worker's own error, OV_EUNAVAIL when the worker died,
 * OV_ETIMEDOUT when it did not answer in time). It returns an ov_err code
 * (OV_EUNAVAIL, OV_ESHUTDOWN) without calling cb if the request cannot be
 * sent. Requests queued in one loop iteration reach the worker in one write,
 * so that it can commit them together.
 */
#ifndef GW_SHARD_H
#define GW_SHARD_H

#include <stdint.h>
#include <uv.h>

#include "ipc.h"

typedef struct gw_pool_s gw_pool_t;

typedef struct {
    const char *worker_bin; /* borrowed, valid for the pool's life */
    const char *data_dir;   /* borrowed, valid for the pool's life */
    const char *sandbox;    /* "seccomp" or "none" */
    const char *log_level;
    uint32_t nshards;
    unsigned ipc_timeout_ms;   /* a silent worker is restarted after it */
    unsigned ready_timeout_ms; /* a worker must send READY within it */
    /* Called each time a worker becomes ready (also after a restart), so
     * that per-worker state (e.g. whether webhooks are recorded) can be
     * sent to it before other requests. May be NULL. */
    void (*on_ready)(uint32_t shard, void *data);
    void *on_ready_data;
} gw_pool_opts_t;

typedef enum {
    GW_SHARD_STARTING = 0,
    GW_SHARD_READY = 1,
    GW_SHARD_DOWN = 2,
    GW_SHARD_STOPPING = 3,
    GW_SHARD_STOPPED = 4,
} gw_shard_state_t;

typedef struct {
    gw_shard_state_t state;
    int64_t pid;        /* 0 when no process runs */
    unsigned restarts;  /* times the worker was respawned */
    unsigned inflight;  /* requests awaiting a reply */
    int last_exit;      /* exit status or -signal of the last exit */
} gw_shard_info_t;

/** Returns the name of a state ("starting", "ready", ...). */
const char *gw_shard_state_name(gw_shard_state_t s);

/** Returns a new pool (free with gw_pool_stop). Options are copied, the
 *  strings they point to are borrowed. Returns 0. */
int gw_pool_new(gw_pool_t **out, uv_loop_t *loop, const gw_pool_opts_t *opts);

/** Spawns every worker. `cb` fires once: with 0 when all have sent READY,
 *  or with an ov_err code if one failed to start within ready_timeout_ms
 *  (the pool keeps retrying it), or as soon as one exited with status 3
 *  (cannot open its database) before READY on each of its tries (the pool
 *  gives that shard up). Returns 0 or a negative libuv error. */
int gw_pool_start(gw_pool_t *p, void (*cb)(int err, void *data), void *data);

uint32_t gw_pool_size(const gw_pool_t *p);
void gw_pool_shard_info(const gw_pool_t *p, uint32_t shard,
                        gw_shard_info_t *out);

struct gw_req_s;

/** Makes `req` (may be NULL) the HTTP request that stub calls act for from
 *  now on: their frames carry its X-Request-Id as trace (the worker logs
 *  it), its `shard` records the shard reached (-2 once it reaches several),
 *  and their callbacks run with it current again, so that requests sent
 *  from a callback act for it too. gw_app sets it around each handler. */
void gw_pool_set_current(gw_pool_t *p, struct gw_req_s *req);

/** Sends SHUTDOWN to every worker, waits up to `timeout_ms` for them to
 *  exit (then kills them), fails what is in flight with OV_ESHUTDOWN, and
 *  frees the pool once all its handles are closed; then `cb` fires. */
void gw_pool_stop(gw_pool_t *p, unsigned timeout_ms, void (*cb)(void *data),
                  void *data);

#define GW__CB_DECL(REP, rep)                                                  \
    typedef void (*gw_##rep##_cb)(int err, const ipc_##rep##_t *reply,         \
                                  void *data);
IPC_REPLY_MAP(GW__CB_DECL)
#undef GW__CB_DECL

#define GW__STUB_DECL(REQ, req, REP, rep)                                      \
    int gw_shard_##req(gw_pool_t *p, uint32_t shard,                           \
                       const ipc_##req##_t *msg, gw_##rep##_cb cb,             \
                       void *data);
IPC_RPC_MAP(GW__STUB_DECL)
#undef GW__STUB_DECL

#endif
