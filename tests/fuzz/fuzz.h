/*
 * fuzz.h: what the fuzz targets of tests/fuzz share. Each fuzz_<name>.c
 * defines LLVMFuzzerTestOneInput; it is linked with libFuzzer in the fuzz
 * preset and with standalone_main.c (which replays a corpus directory) in
 * the dev and asan builds. A target aborts only on a real bug.
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken invariant of the code under test: report it and abort, so that
 * libFuzzer (or the corpus replay) records the input. */
#define FUZZ_CHECK(cond)                                                       \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "%s:%d: FUZZ_CHECK(%s) failed\n", __FILE__,        \
                    __LINE__, #cond);                                          \
            abort();                                                           \
        }                                                                      \
    } while (0)

/* A small deterministic generator for choices derived from the input. */
static inline uint32_t fuzz_rand(uint32_t *state)
{
    uint32_t x = *state ? *state : 0x9e3779b9u;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *state = x;
}

#endif
