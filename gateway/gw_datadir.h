/*
 * gw_datadir: the data directory's layout and its fixed shard count.
 *
 * The directory is created with mode 0700 (it holds the API key, which
 * signs outgoing webhooks). The number of shards is chosen when it is
 * created and recorded in "<dir>/meetd.conf"; later starts use the recorded
 * number whatever MEET_WORKERS says, because every stored room lives in the
 * shard its id hashes to.
 */
#ifndef GW_DATADIR_H
#define GW_DATADIR_H

#include <stddef.h>
#include <stdint.h>

/** Creates `dir` (and missing parents) with mode 0700, or tightens an
 *  existing one to 0700, then reads or records the shard count. `wanted`
 *  is MEET_WORKERS (0: number of CPUs, at least 2), used only for a new
 *  directory. Returns 0 and sets *nshards, or -1 with a message. */
int gw_datadir_prepare(const char *dir, uint32_t wanted, uint32_t *nshards,
                       char *errbuf, size_t errlen);

#endif
