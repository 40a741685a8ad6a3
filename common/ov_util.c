/* ov_util: see ov_util.h. Randomness and the constant-time compare come from
 * OpenSSL's libcrypto. */
#include "ov_util.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <string.h>
#include <time.h>

int64_t ov_time_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

uint64_t ov_time_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Small requests (ids and secrets, a few bytes each, several per request)
 * are served from a pool filled by one RAND_bytes call: the DRBG call has
 * a fixed cost that dominated room creation. Served bytes are wiped from
 * the pool so that they exist only with their consumer. Processes that use
 * this are freshly executed, never forked, so no two share a pool. */
#define RAND_POOL 4096

static unsigned char rand_pool[RAND_POOL];
static size_t rand_avail;

int ov_rand_bytes(void *out, size_t n)
{
    if (n > 0x7fffffff)
        return -1;
    if (n > RAND_POOL / 4)
        return RAND_bytes(out, (int)n) == 1 ? 0 : -1;
    if (rand_avail < n) {
        if (RAND_bytes(rand_pool, RAND_POOL) != 1)
            return -1;
        rand_avail = RAND_POOL;
    }
    unsigned char *src = rand_pool + RAND_POOL - rand_avail;
    memcpy(out, src, n);
    OPENSSL_cleanse(src, n);
    rand_avail -= n;
    return 0;
}

int ov_rand_hex(char *out, size_t nchars)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char raw[64];
    size_t done = 0;
    while (done < nchars) {
        size_t want = (nchars - done + 1) / 2;
        if (want > sizeof(raw))
            want = sizeof(raw);
        if (ov_rand_bytes(raw, want) != 0)
            return -1;
        for (size_t i = 0; i < want && done < nchars; i++) {
            out[done++] = hex[raw[i] >> 4];
            if (done < nchars)
                out[done++] = hex[raw[i] & 15];
        }
    }
    out[nchars] = '\0';
    return 0;
}

int ov_ct_equal(const void *a, size_t alen, const void *b, size_t blen)
{
    if (alen != blen)
        return 0;
    return CRYPTO_memcmp(a, b, alen) == 0;
}

uint64_t ov_hash64(const void *p, size_t n)
{
    const unsigned char *s = p;
    uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a 64 offset basis */
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= 0x100000001b3ull; /* FNV-1a 64 prime */
    }
    return h;
}

uint32_t ov_shard_of(const char *key, size_t len, uint32_t nshards)
{
    return nshards ? (uint32_t)(ov_hash64(key, len) % nshards) : 0;
}
