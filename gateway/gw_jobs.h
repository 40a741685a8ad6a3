/*
 * gw_jobs: the scheduled jobs, timers in the gateway with the work done in
 * the shards (BEHAVIOUR.md §10): every MEET_GC_INTERVAL_MS, and once when
 * meetd starts, each shard processes its rooms whose autoDeletionDate has
 * passed, in bounded batches.
 */
#ifndef GW_JOBS_H
#define GW_JOBS_H

#include "gw_app.h"

/** Starts the jobs on app->loop: a first pass now, then every interval. */
void gw_jobs_start(gw_app_t *app);

/** Stops the timer; `cb` fires once its handle is closed. Passes already
 *  sent to shards finish or fail on their own. */
void gw_jobs_stop(gw_app_t *app, void (*cb)(uv_handle_t *));

#endif
