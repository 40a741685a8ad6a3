/*
 * ipc_test: every message of IPC_MSG_MAP survives encode, framing and decode
 * (the list is walked through the X-macro, so a new message is tested by
 * being added), and the decoders reject what a hostile peer could send.
 */
#include <arpa/inet.h>
#include <msgpack.h>
#include <stdbool.h>

#include "ipc.h"
#include "ov_err.h"
#include "test.h"

/* ---- filling and comparing fields by schema type ---------------------- */

/* A string with an embedded NUL and non-ASCII bytes, so that lengths, not
 * terminators, carry it. */
static const char sample_str[] = "room-\xc3\xa9t\xc3\xa9\0tail";

static inline void fill_U32(uint32_t *v, int k)
{
    *v = 0xfedcba98u - (uint32_t)k;
}
static inline void fill_I32(int32_t *v, int k)
{
    *v = -2000000000 + k;
}
static inline void fill_I64(int64_t *v, int k)
{
    *v = -0x123456789abcdefLL - k;
}
static inline void fill_BOOL(bool *v, int k)
{
    *v = (k % 2) == 1;
}
static inline void fill_F64(double *v, int k)
{
    *v = -1234.5 / k;
}
static inline void fill_STR(ov_str_t *v, int k)
{
    v->ptr = sample_str + (k % 3);
    v->len = sizeof(sample_str) - 1 - (size_t)(k % 3);
}

static inline bool eq_U32(uint32_t a, uint32_t b)
{
    return a == b;
}
static inline bool eq_I32(int32_t a, int32_t b)
{
    return a == b;
}
static inline bool eq_I64(int64_t a, int64_t b)
{
    return a == b;
}
static inline bool eq_BOOL(bool a, bool b)
{
    return a == b;
}
static inline bool eq_F64(double a, double b)
{
    return a == b;
}
static inline bool eq_STR(ov_str_t a, ov_str_t b)
{
    return ov_str_eq(a, b);
}

/* Zero for every type, to check error replies. */
static inline bool zero_U32(uint32_t v)
{
    return v == 0;
}
static inline bool zero_I32(int32_t v)
{
    return v == 0;
}
static inline bool zero_I64(int64_t v)
{
    return v == 0;
}
static inline bool zero_BOOL(bool v)
{
    return !v;
}
static inline bool zero_F64(double v)
{
    return v == 0.0;
}
static inline bool zero_STR(ov_str_t v)
{
    return v.len == 0;
}

/* Compound types: a room record is filled field by field through its own
 * X-macro, and lists hold a few distinct items (static storage, like the
 * sample string). */
#define IPC_TEST_FILL_REC(type, fname) fill_##type(&v->fname, j++);
#define IPC_TEST_EQ_REC(type, fname)                                           \
    if (!eq_##type(a.fname, b.fname))                                          \
        return false;
#define IPC_TEST_ZERO_REC(type, fname)                                         \
    if (!zero_##type(v.fname))                                                 \
        return false;

#define IPC_TEST_RECORD(T, LIST, ctype, ltype, FIELDS)                         \
    static inline void fill_##T(ctype *v, int k)                               \
    {                                                                          \
        int j = k * 100;                                                       \
        FIELDS(IPC_TEST_FILL_REC)                                              \
    }                                                                          \
    static inline bool eq_##T(ctype a, ctype b)                                \
    {                                                                          \
        FIELDS(IPC_TEST_EQ_REC)                                                \
        return true;                                                           \
    }                                                                          \
    static inline bool zero_##T(ctype v)                                       \
    {                                                                          \
        FIELDS(IPC_TEST_ZERO_REC)                                              \
        return true;                                                           \
    }                                                                          \
    static inline void fill_##LIST(ltype *v, int k)                            \
    {                                                                          \
        static ctype items[3];                                                 \
        for (int i = 0; i < 3; i++)                                            \
            fill_##T(&items[i], k + i + 1);                                    \
        v->items = items;                                                      \
        v->n = 3;                                                              \
    }                                                                          \
    static inline bool eq_##LIST(ltype a, ltype b)                             \
    {                                                                          \
        if (a.n != b.n)                                                        \
            return false;                                                      \
        for (uint32_t i = 0; i < a.n; i++) {                                   \
            if (!eq_##T(a.items[i], b.items[i]))                               \
                return false;                                                  \
        }                                                                      \
        return true;                                                           \
    }                                                                          \
    static inline bool zero_##LIST(ltype v)                                    \
    {                                                                          \
        return v.n == 0;                                                       \
    }

IPC_TEST_RECORD(ROOM, ROOMS, ipc_room_t, ipc_rooms_t, IPC_ROOM_FIELDS)
IPC_TEST_RECORD(REC, RECS, ipc_rec_t, ipc_recs_t, IPC_REC_FIELDS)
IPC_TEST_RECORD(OUTBOX, OUTBOXES, ipc_outbox_t, ipc_outboxes_t,
                IPC_OUTBOX_ENTRY_FIELDS)

static inline void fill_STRS(ipc_strs_t *v, int k)
{
    static ov_str_t strs[4];
    for (int i = 0; i < 4; i++)
        fill_STR(&strs[i], k + i);
    strs[3].len = 0; /* an empty item too */
    v->items = strs;
    v->n = 4;
}
static inline bool eq_STRS(ipc_strs_t a, ipc_strs_t b)
{
    if (a.n != b.n)
        return false;
    for (uint32_t i = 0; i < a.n; i++) {
        if (!eq_STR(a.items[i], b.items[i]))
            return false;
    }
    return true;
}
static inline bool zero_STRS(ipc_strs_t v)
{
    return v.n == 0;
}

/* ---- reading frames back ---------------------------------------------- */

/* Feeds `n` bytes to a fresh reader, in one go or one byte at a time, and
 * returns the one frame they hold; checks that the reader asks for more
 * bytes until the last one arrives and holds nothing afterwards. */
static void read_back(const char *p, size_t n, bool bytewise, ipc_frame_t *f)
{
    ipc_reader_t r;
    ipc_reader_init(&r);
    if (bytewise) {
        for (size_t i = 0; i + 1 < n; i++) {
            ipc_reader_feed(&r, p + i, 1);
            ASSERT_INT_EQ(ipc_reader_next(&r, f), 0);
        }
        ipc_reader_feed(&r, p + n - 1, 1);
    } else {
        ipc_reader_feed(&r, p, n);
    }
    ASSERT_INT_EQ(ipc_reader_next(&r, f), 1);
    ipc_frame_t none;
    ASSERT_INT_EQ(ipc_reader_next(&r, &none), 0);
    ipc_reader_free(&r);
}

/* Every decoder but the one of `type` must refuse the frame. */
static void check_other_decoders(const ipc_frame_t *f, uint32_t type)
{
#define IPC_TEST_OTHER(id, NAME, name, dir, FIELDS)                            \
    if ((id) != type) {                                                        \
        ipc_##name##_t o;                                                      \
        ASSERT_INT_EQ(ipc_##name##_decode(f, &o), -1);                         \
    }
    IPC_MSG_MAP(IPC_TEST_OTHER)
#undef IPC_TEST_OTHER
}

/* ---- round trip of every message -------------------------------------- */

#define IPC_TEST_FILL(type, fname) fill_##type(&m.fname, k++);
#define IPC_TEST_CMP(type, fname)                                              \
    if (!eq_##type(m.fname, d.fname))                                          \
        TEST__FAIL("%s: field %s differs after round trip", msg, #fname);

#define IPC_TEST_ROUNDTRIP(id, NAME, name, dir, FIELDS)                        \
    static void roundtrip_##name(void)                                         \
    {                                                                          \
        const char *msg = #name;                                               \
        ipc_##name##_t m;                                                      \
        memset(&m, 0, sizeof(m));                                              \
        int k = 1;                                                             \
        FIELDS(IPC_TEST_FILL)                                                  \
        (void)k;                                                               \
        uint64_t req_id = 0x8877665544332211ull + (id);                        \
        ov_buf_t out = OV_BUF_INIT;                                            \
        ipc_##name##_encode(&out, req_id, &m);                                 \
        ASSERT(out.len > 4);                                                   \
        for (int bytewise = 0; bytewise < 2; bytewise++) {                     \
            ipc_frame_t f;                                                     \
            read_back(out.data, out.len, bytewise, &f);                        \
            ASSERT_UINT_EQ(f.type, (id));                                      \
            ASSERT_UINT_EQ(f.req_id, req_id);                                  \
            ipc_##name##_t d;                                                  \
            ASSERT_INT_EQ(ipc_##name##_decode(&f, &d), 0);                     \
            FIELDS(IPC_TEST_CMP)                                               \
            check_other_decoders(&f, (id));                                    \
            ipc_frame_free(&f);                                                \
        }                                                                      \
        /* Two frames in one buffer are cut apart. */                          \
        size_t one = out.len;                                                  \
        ipc_##name##_encode(&out, req_id + 1, &m);                             \
        ipc_reader_t r;                                                        \
        ipc_reader_init(&r);                                                   \
        ipc_reader_feed(&r, out.data, out.len - 1);                            \
        ipc_frame_t f1, f2;                                                    \
        ASSERT_INT_EQ(ipc_reader_next(&r, &f1), 1);                            \
        ASSERT_INT_EQ(ipc_reader_next(&r, &f2), 0);                            \
        ipc_reader_feed(&r, out.data + out.len - 1, 1);                        \
        ASSERT_INT_EQ(ipc_reader_next(&r, &f2), 1);                            \
        ASSERT_UINT_EQ(f1.req_id, req_id);                                     \
        ASSERT_UINT_EQ(f2.req_id, req_id + 1);                                 \
        ASSERT_UINT_EQ(f2.len, one - 4);                                       \
        ipc_frame_free(&f1);                                                   \
        ipc_frame_free(&f2);                                                   \
        ipc_reader_free(&r);                                                   \
        ASSERT_INT_EQ(ipc_msg_dir(id), (dir));                                 \
        ASSERT_STR_EQ(ipc_msg_name(id), #name);                                \
        ov_buf_free(&out);                                                     \
        printf("ok - roundtrip %s\n", msg);                                    \
    }
IPC_MSG_MAP(IPC_TEST_ROUNDTRIP)
#undef IPC_TEST_ROUNDTRIP

static void test_roundtrip_all(void)
{
#define IPC_TEST_CALL(id, NAME, name, dir, FIELDS) roundtrip_##name();
    IPC_MSG_MAP(IPC_TEST_CALL)
#undef IPC_TEST_CALL
}

/* ---- error replies ---------------------------------------------------- */

#define IPC_TEST_ZERO(type, fname)                                             \
    if ((void *)&d.fname != (void *)&d.err && !zero_##type(d.fname))           \
        TEST__FAIL("field %s not zero in an error reply", #fname);

static void test_error_replies(void)
{
#define IPC_TEST_ERR(REQ, req, REP, rep)                                       \
    {                                                                          \
        ASSERT_UINT_EQ(ipc_msg_reply_type(IPC_MSG_##REQ), IPC_MSG_##REP);      \
        ov_buf_t out = OV_BUF_INIT;                                            \
        ipc_error_reply_encode(&out, IPC_MSG_##REP, 77, OV_ESTORAGE);          \
        ipc_frame_t f;                                                         \
        read_back(out.data, out.len, false, &f);                               \
        ASSERT_UINT_EQ(f.req_id, 77);                                          \
        ipc_##rep##_t d;                                                       \
        ASSERT_INT_EQ(ipc_##rep##_decode(&f, &d), 0);                          \
        ASSERT_INT_EQ(d.err, OV_ESTORAGE);                                     \
        IPC_##REP##_FIELDS(IPC_TEST_ZERO) ipc_frame_free(&f);                  \
        ov_buf_free(&out);                                                     \
    }
    IPC_RPC_MAP(IPC_TEST_ERR)
#undef IPC_TEST_ERR
    ASSERT_UINT_EQ(ipc_msg_reply_type(IPC_MSG_SHUTDOWN), 0);
    ASSERT_UINT_EQ(ipc_msg_reply_type(IPC_MSG_READY), 0);
    ASSERT_INT_EQ(ipc_msg_dir(9999), 0);
    ASSERT_STR_EQ(ipc_msg_name(9999), "?");
}

/* ---- hand-made frames ------------------------------------------------- */

static int sbuf_write_cb(void *data, const char *p, size_t n)
{
    ov_buf_append(data, p, n);
    return 0;
}

/* Starts a raw frame: reserves the prefix and returns a packer on `b`. */
static void raw_begin(ov_buf_t *b, msgpack_packer *pk)
{
    ov_buf_reset(b);
    ov_buf_append(b, "\0\0\0\0", 4);
    msgpack_packer_init(pk, b, sbuf_write_cb);
}

static void raw_end(ov_buf_t *b)
{
    uint32_t be = htonl((uint32_t)(b->len - 4));
    memcpy(b->data, &be, 4);
}

/* Feeds a whole buffer and returns what ipc_reader_next says; the frame, if
 * any, goes to `f` (the caller frees it). */
static int feed_all(const ov_buf_t *b, ipc_frame_t *f)
{
    ipc_reader_t r;
    ipc_reader_init(&r);
    ipc_reader_feed(&r, b->data, b->len);
    int rc = ipc_reader_next(&r, f);
    ipc_reader_free(&r);
    return rc;
}

static void test_framing_errors(void)
{
    ov_buf_t b = OV_BUF_INIT;
    msgpack_packer pk;
    ipc_frame_t f;

    /* Truncated: the prefix promises more than is there. */
    ipc_ping_t ping = {0};
    ping.nonce = 5;
    ipc_ping_encode(&b, 1, &ping);
    b.len -= 1;
    ASSERT_INT_EQ(feed_all(&b, &f), 0);
    b.len = 3;
    ASSERT_INT_EQ(feed_all(&b, &f), 0);

    /* Zero and oversized length prefixes. */
    ov_buf_reset(&b);
    ov_buf_append(&b, "\0\0\0\0\x90", 5);
    ASSERT_INT_EQ(feed_all(&b, &f), -1);
    ov_buf_reset(&b);
    uint32_t be = htonl(IPC_MAX_FRAME + 1);
    ov_buf_append(&b, &be, 4);
    ASSERT_INT_EQ(feed_all(&b, &f), -1);
    be = htonl(0xffffffffu);
    memcpy(b.data, &be, 4);
    ASSERT_INT_EQ(feed_all(&b, &f), -1);

    /* Trailing bytes after the array, inside the frame. */
    raw_begin(&b, &pk);
    msgpack_pack_array(&pk, 3);
    msgpack_pack_uint32(&pk, IPC_MSG_PING);
    msgpack_pack_uint64(&pk, 1);
    msgpack_pack_array(&pk, 1);
    msgpack_pack_int64(&pk, 5);
    msgpack_pack_nil(&pk);
    raw_end(&b);
    ASSERT_INT_EQ(feed_all(&b, &f), -1);

    /* Outer array of the wrong size. */
    for (uint32_t size = 0; size <= 4; size++) {
        if (size == 3)
            continue;
        raw_begin(&b, &pk);
        msgpack_pack_array(&pk, size);
        for (uint32_t i = 0; i < size; i++)
            msgpack_pack_uint32(&pk, i == 0 ? IPC_MSG_PING : 1);
        raw_end(&b);
        ASSERT_INT_EQ(feed_all(&b, &f), -1);
    }

    /* Not an array at all; a body that is not an array; a type or req_id
     * that is not an unsigned integer. */
    raw_begin(&b, &pk);
    msgpack_pack_map(&pk, 0);
    raw_end(&b);
    ASSERT_INT_EQ(feed_all(&b, &f), -1);

    raw_begin(&b, &pk);
    msgpack_pack_array(&pk, 3);
    msgpack_pack_uint32(&pk, IPC_MSG_PING);
    msgpack_pack_uint64(&pk, 1);
    msgpack_pack_int64(&pk, 5);
    raw_end(&b);
    ASSERT_INT_EQ(feed_all(&b, &f), -1);

    raw_begin(&b, &pk);
    msgpack_pack_array(&pk, 3);
    msgpack_pack_uint32(&pk, IPC_MSG_PING);
    msgpack_pack_uint64(&pk, 1);
    msgpack_pack_map(&pk, 0);
    raw_end(&b);
    ASSERT_INT_EQ(feed_all(&b, &f), -1);

    raw_begin(&b, &pk);
    msgpack_pack_array(&pk, 3);
    msgpack_pack_str(&pk, 1);
    msgpack_pack_str_body(&pk, "x", 1);
    msgpack_pack_uint64(&pk, 1);
    msgpack_pack_array(&pk, 0);
    raw_end(&b);
    ASSERT_INT_EQ(feed_all(&b, &f), -1);

    raw_begin(&b, &pk);
    msgpack_pack_array(&pk, 3);
    msgpack_pack_uint32(&pk, IPC_MSG_PING);
    msgpack_pack_int64(&pk, -1);
    msgpack_pack_array(&pk, 0);
    raw_end(&b);
    ASSERT_INT_EQ(feed_all(&b, &f), -1);

    /* Bytes that are not msgpack at all (0xc1 is never used). */
    ov_buf_reset(&b);
    ov_buf_append(&b, "\0\0\0\3\xc1\xc1\xc1", 7);
    ASSERT_INT_EQ(feed_all(&b, &f), -1);

    /* ipc_frame_parse directly: the same rules without a prefix. */
    ASSERT_INT_EQ(ipc_frame_parse("\x93\x02\x01\x91\x05", 5, &f), 0);
    ipc_frame_free(&f);
    ASSERT_INT_EQ(ipc_frame_parse("\x93\x02\x01\x91\x05\xc0", 6, &f), -1);
    ASSERT_INT_EQ(ipc_frame_parse("", 0, &f), -1);

    ov_buf_free(&b);
}

/* Builds [type, 9, body] where `pack_body` packs the body, and returns the
 * parsed frame. */
static void body_frame(uint32_t type, void (*pack_body)(msgpack_packer *),
                       ipc_frame_t *f)
{
    ov_buf_t b = OV_BUF_INIT;
    msgpack_packer pk;
    raw_begin(&b, &pk);
    msgpack_pack_array(&pk, 3);
    msgpack_pack_uint32(&pk, type);
    msgpack_pack_uint64(&pk, 9);
    pack_body(&pk);
    raw_end(&b);
    ASSERT_INT_EQ(feed_all(&b, f), 1);
    ov_buf_free(&b);
}

static void body_ping_ok(msgpack_packer *pk)
{
    msgpack_pack_array(pk, 1);
    msgpack_pack_int64(pk, -5);
}
static void body_ping_extra(msgpack_packer *pk)
{
    msgpack_pack_array(pk, 2);
    msgpack_pack_int64(pk, 5);
    msgpack_pack_int64(pk, 6);
}
static void body_empty(msgpack_packer *pk)
{
    msgpack_pack_array(pk, 0);
}
static void body_ping_str(msgpack_packer *pk)
{
    msgpack_pack_array(pk, 1);
    msgpack_pack_str(pk, 1);
    msgpack_pack_str_body(pk, "5", 1);
}
static void body_ping_float(msgpack_packer *pk)
{
    msgpack_pack_array(pk, 1);
    msgpack_pack_double(pk, 5.0);
}
static void body_ready_negative(msgpack_packer *pk)
{
    msgpack_pack_array(pk, 3);
    msgpack_pack_int64(pk, -1); /* proto_version is U32 */
    msgpack_pack_uint32(pk, 0);
    msgpack_pack_int64(pk, 1);
}
static void body_ready_u32_overflow(msgpack_packer *pk)
{
    msgpack_pack_array(pk, 3);
    msgpack_pack_uint32(pk, 1);
    msgpack_pack_uint64(pk, (uint64_t)UINT32_MAX + 1);
    msgpack_pack_int64(pk, 1);
}
static void body_ready_i64_overflow(msgpack_packer *pk)
{
    msgpack_pack_array(pk, 3);
    msgpack_pack_uint32(pk, 1);
    msgpack_pack_uint32(pk, 0);
    msgpack_pack_uint64(pk, (uint64_t)INT64_MAX + 1);
}
static void body_pong_err_bool(msgpack_packer *pk)
{
    msgpack_pack_array(pk, 2);
    msgpack_pack_true(pk);
    msgpack_pack_int64(pk, 1);
}
static void body_pong_err_i32_overflow(msgpack_packer *pk)
{
    msgpack_pack_array(pk, 2);
    msgpack_pack_int64(pk, (int64_t)INT32_MAX + 1);
    msgpack_pack_int64(pk, 1);
}
static void body_pong_err_i32_underflow(msgpack_packer *pk)
{
    msgpack_pack_array(pk, 2);
    msgpack_pack_int64(pk, (int64_t)INT32_MIN - 1);
    msgpack_pack_int64(pk, 1);
}
static void body_apikey_int(msgpack_packer *pk)
{
    msgpack_pack_array(pk, 1);
    msgpack_pack_int64(pk, 1);
}
static void body_apikey_bin(msgpack_packer *pk)
{
    msgpack_pack_array(pk, 1);
    msgpack_pack_bin(pk, 2);
    msgpack_pack_bin_body(pk, "k1", 2);
}
static void body_apikey_reply_created_int(msgpack_packer *pk)
{
    msgpack_pack_array(pk, 3);
    msgpack_pack_int32(pk, 0);
    msgpack_pack_str(pk, 2);
    msgpack_pack_str_body(pk, "k1", 2);
    msgpack_pack_int32(pk, 1);
}
static void body_nil_array(msgpack_packer *pk)
{
    msgpack_pack_array(pk, 1);
    msgpack_pack_nil(pk);
}

static void test_field_errors(void)
{
    ipc_frame_t f;
    ipc_ping_t ping;
    ipc_pong_t pong;
    ipc_ready_t ready;
    ipc_shutdown_t sd;
    ipc_apikey_ensure_t ak;
    ipc_apikey_ensure_reply_t akr;

    body_frame(IPC_MSG_PING, body_ping_ok, &f);
    ASSERT_INT_EQ(ipc_ping_decode(&f, &ping), 0);
    ASSERT_INT_EQ(ping.nonce, -5);
    ipc_frame_free(&f);

    struct {
        uint32_t type;
        void (*body)(msgpack_packer *);
        const char *what;
    } bad[] = {
        {IPC_MSG_PING, body_ping_extra, "extra field"},
        {IPC_MSG_PING, body_empty, "missing field"},
        {IPC_MSG_PING, body_ping_str, "string for I64"},
        {IPC_MSG_PING, body_ping_float, "float for I64"},
        {IPC_MSG_PING, body_nil_array, "nil for I64"},
        {IPC_MSG_READY, body_ready_negative, "negative U32"},
        {IPC_MSG_READY, body_ready_u32_overflow, "U32 overflow"},
        {IPC_MSG_READY, body_ready_i64_overflow, "I64 overflow"},
        {IPC_MSG_PONG, body_pong_err_bool, "bool for I32"},
        {IPC_MSG_PONG, body_pong_err_i32_overflow, "I32 overflow"},
        {IPC_MSG_PONG, body_pong_err_i32_underflow, "I32 underflow"},
        {IPC_MSG_APIKEY_ENSURE, body_apikey_int, "int for STR"},
        {IPC_MSG_APIKEY_ENSURE, body_apikey_bin, "bin for STR"},
        {IPC_MSG_APIKEY_ENSURE, body_empty, "missing STR"},
        {IPC_MSG_APIKEY_ENSURE_REPLY, body_apikey_reply_created_int,
         "int for BOOL"},
        {IPC_MSG_SHUTDOWN, body_ping_ok, "field in an empty message"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        body_frame(bad[i].type, bad[i].body, &f);
        int rc;
        switch (bad[i].type) {
        case IPC_MSG_PING:
            rc = ipc_ping_decode(&f, &ping);
            break;
        case IPC_MSG_PONG:
            rc = ipc_pong_decode(&f, &pong);
            break;
        case IPC_MSG_READY:
            rc = ipc_ready_decode(&f, &ready);
            break;
        case IPC_MSG_SHUTDOWN:
            rc = ipc_shutdown_decode(&f, &sd);
            break;
        case IPC_MSG_APIKEY_ENSURE:
            rc = ipc_apikey_ensure_decode(&f, &ak);
            break;
        default:
            rc = ipc_apikey_ensure_reply_decode(&f, &akr);
            break;
        }
        if (rc != -1)
            TEST__FAIL("decoder accepted %s", bad[i].what);
        ipc_frame_free(&f);
    }

    /* A type no message has is refused by every decoder. */
    body_frame(9999, body_empty, &f);
    check_other_decoders(&f, 0);
    ipc_frame_free(&f);
}

/* A STR of exactly IPC_MAX_STR bytes is accepted, one more is refused. */
static void test_max_str(void)
{
    for (size_t extra = 0; extra < 2; extra++) {
        size_t n = IPC_MAX_STR + extra;
        char *s = malloc(n);
        ASSERT_NOT_NULL(s);
        memset(s, 'a', n);
        ov_buf_t b = OV_BUF_INIT;
        msgpack_packer pk;
        raw_begin(&b, &pk);
        msgpack_pack_array(&pk, 3);
        msgpack_pack_uint32(&pk, IPC_MSG_APIKEY_ENSURE);
        msgpack_pack_uint64(&pk, 1);
        msgpack_pack_array(&pk, 1);
        msgpack_pack_str(&pk, n);
        msgpack_pack_str_body(&pk, s, n);
        raw_end(&b);
        ipc_frame_t f;
        ASSERT_INT_EQ(feed_all(&b, &f), 1);
        ipc_apikey_ensure_t m;
        ASSERT_INT_EQ(ipc_apikey_ensure_decode(&f, &m), extra ? -1 : 0);
        if (!extra)
            ASSERT_UINT_EQ(m.candidate.len, IPC_MAX_STR);
        ipc_frame_free(&f);
        ov_buf_free(&b);
        free(s);
    }
}

int main(void)
{
    TEST_RUN(test_roundtrip_all);
    TEST_RUN(test_error_replies);
    TEST_RUN(test_framing_errors);
    TEST_RUN(test_field_errors);
    TEST_RUN(test_max_str);
    return 0;
}
