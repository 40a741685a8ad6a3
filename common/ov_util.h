/*
 * ov_util: time, randomness, constant-time comparison and shard hashing,
 * the small primitives both the gateway and the workers use.
 */
#ifndef OV_UTIL_H
#define OV_UTIL_H

#include <stddef.h>
#include <stdint.h>

/** Wall-clock time in milliseconds since the Unix epoch. */
int64_t ov_time_now_ms(void);
/** Monotonic time in nanoseconds (for durations only). */
uint64_t ov_time_mono_ns(void);

/** Fills `out` with `n` bytes from the CSPRNG. Returns 0 or -1. */
int ov_rand_bytes(void *out, size_t n);
/** Writes `nchars` random lowercase hex characters and a NUL into `out`
 *  (which must hold nchars + 1 bytes). Returns 0 or -1. */
int ov_rand_hex(char *out, size_t nchars);

/** Compares two byte strings in time that depends only on their lengths.
 *  Returns 1 when equal. */
int ov_ct_equal(const void *a, size_t alen, const void *b, size_t blen);

/** Stable 64-bit hash of a key (FNV-1a), used to place keys in shards. It
 *  must never change: shard placement of stored data depends on it. */
uint64_t ov_hash64(const void *p, size_t n);

/** Returns the shard index of `key` among `nshards` shards. */
uint32_t ov_shard_of(const char *key, size_t len, uint32_t nshards);

#endif
