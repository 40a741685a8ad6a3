/*
 * fuzz_ipc: the gateway/worker channel as a hostile peer sees it. The
 * input after its first byte is fed to an ipc_reader_t in pieces whose
 * sizes derive from that byte; every frame cut is decoded with every
 * generated decoder. A frame that decodes is encoded again, and the copy
 * must decode as the same message (the codecs are symmetric).
 */
#include <string.h>

#include "fuzz.h"
#include "ipc.h"

static void decode_all(const ipc_frame_t *f)
{
#define FUZZ_DECODE(id, NAME, name, dir, FIELDS)                               \
    do {                                                                       \
        ipc_##name##_t m;                                                      \
        memset(&m, 0, sizeof(m));                                              \
        if (ipc_##name##_decode(f, &m) == 0) {                                 \
            ov_buf_t b = {0};                                                  \
            ipc_reader_t r2;                                                   \
            ipc_frame_t f2;                                                    \
            ipc_##name##_t m2;                                                 \
            FUZZ_CHECK(f->type == (id));                                       \
            ipc_##name##_encode(&b, f->req_id, &m);                            \
            ipc_reader_init(&r2);                                              \
            ipc_reader_feed(&r2, b.data, b.len);                               \
            FUZZ_CHECK(ipc_reader_next(&r2, &f2) == 1);                        \
            FUZZ_CHECK(f2.type == f->type && f2.req_id == f->req_id);          \
            memset(&m2, 0, sizeof(m2));                                        \
            FUZZ_CHECK(ipc_##name##_decode(&f2, &m2) == 0);                    \
            ipc_frame_free(&f2);                                               \
            ipc_reader_free(&r2);                                              \
            ov_buf_free(&b);                                                   \
        }                                                                      \
    } while (0);
    IPC_MSG_MAP(FUZZ_DECODE)
#undef FUZZ_DECODE
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ipc_reader_t r;
    uint32_t seed;
    size_t off = 1;
    int rc = 0;

    if (size < 1)
        return 0;
    seed = data[0] * 2654435761u + 1;
    ipc_reader_init(&r);
    while (off < size && rc >= 0) {
        /* Byte 0's low bit: one read of everything, or pieces of 1..64. */
        size_t n = (data[0] & 1) ? size - off : 1 + fuzz_rand(&seed) % 64;
        if (n > size - off)
            n = size - off;
        ipc_reader_feed(&r, (const char *)data + off, n);
        off += n;
        for (;;) {
            ipc_frame_t f;
            rc = ipc_reader_next(&r, &f);
            if (rc <= 0)
                break; /* need more bytes, or the channel is dropped */
            decode_all(&f);
            ipc_frame_free(&f);
        }
    }
    ipc_reader_free(&r);
    return 0;
}
