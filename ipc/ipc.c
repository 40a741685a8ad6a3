/* ipc: framing and generated codecs; see ipc.h. */
#include "ipc.h"

#include <arpa/inet.h>
#include <string.h>

/* ---- framing ---------------------------------------------------------- */

/* Reads an n-byte big-endian length at p[*i], if there is room. */
static int be_len(const unsigned char *p, size_t len, size_t *i, int n,
                  size_t *out)
{
    size_t v = 0;

    if (len - *i < (size_t)n)
        return -1;
    for (int k = 0; k < n; k++)
        v = (v << 8) | p[(*i)++];
    *out = v;
    return 0;
}

/* Checks that the container counts and string lengths of the msgpack value
 * in p[0..len) fit in its bytes (every element takes at least one), before
 * msgpack_unpack() allocates room for them: a 23-byte frame declaring a map
 * of 2^32 entries made it ask for 128 GiB (found by fuzz_ipc). Returns 0
 * if it may be unpacked (which still checks everything else). */
static int frame_sane(const unsigned char *p, size_t len)
{
    size_t i = 0, pending = 1, n;

    while (pending > 0) {
        unsigned c;
        size_t skip = 0, items = 0;

        if (i >= len)
            return -1;
        c = p[i++];
        pending--;
        if (c <= 0x7f || c >= 0xe0 || (c >= 0xc0 && c <= 0xc3 && c != 0xc1))
            continue;
        if (c >= 0x80 && c <= 0x8f) {
            items = 2 * (size_t)(c & 0x0f);
        } else if (c >= 0x90 && c <= 0x9f) {
            items = c & 0x0f;
        } else if (c >= 0xa0 && c <= 0xbf) {
            skip = c & 0x1f;
        } else if (c >= 0xc4 && c <= 0xc6) { /* bin 8/16/32 */
            if (be_len(p, len, &i, 1 << (c - 0xc4), &skip) != 0)
                return -1;
        } else if (c >= 0xc7 && c <= 0xc9) { /* ext 8/16/32, plus type */
            if (be_len(p, len, &i, 1 << (c - 0xc7), &skip) != 0)
                return -1;
            skip++;
        } else if (c >= 0xca && c <= 0xd3) { /* float, uint, int */
            static const unsigned char w[] = {4, 8, 1, 2, 4, 8, 1, 2, 4, 8};
            skip = w[c - 0xca];
        } else if (c >= 0xd4 && c <= 0xd8) { /* fixext 1..16, plus type */
            skip = 1 + ((size_t)1 << (c - 0xd4));
        } else if (c >= 0xd9 && c <= 0xdb) { /* str 8/16/32 */
            if (be_len(p, len, &i, 1 << (c - 0xd9), &skip) != 0)
                return -1;
        } else if (c == 0xdc || c == 0xdd) {
            if (be_len(p, len, &i, c == 0xdc ? 2 : 4, &items) != 0)
                return -1;
        } else if (c == 0xde || c == 0xdf) {
            if (be_len(p, len, &i, c == 0xde ? 2 : 4, &n) != 0)
                return -1;
            items = 2 * n;
        } else {
            return -1; /* 0xc1, never used */
        }
        if (skip > len - i)
            return -1;
        i += skip;
        if (items > len - i || pending + items > len - i)
            return -1;
        pending += items;
    }
    return 0;
}

int ipc_frame_parse(const char *p, size_t len, ipc_frame_t *f)
{
    memset(f, 0, sizeof(*f));
    if (len == 0 || len > IPC_MAX_FRAME ||
        frame_sane((const unsigned char *)p, len) != 0)
        return -1;
    f->data = ov_xmalloc(len);
    memcpy(f->data, p, len);
    f->len = len;
    if (!msgpack_zone_init(&f->zone, 2048)) {
        free(f->data);
        f->data = NULL;
        return -1;
    }
    f->zone_live = 1;

    msgpack_object obj;
    size_t off = 0;
    msgpack_unpack_return rc =
        msgpack_unpack(f->data, f->len, &off, &f->zone, &obj);
    if (rc != MSGPACK_UNPACK_SUCCESS || off != f->len)
        goto bad; /* EXTRA_BYTES, CONTINUE, PARSE_ERROR, NOMEM */
    if (obj.type != MSGPACK_OBJECT_ARRAY ||
        (obj.via.array.size != 3 && obj.via.array.size != 4))
        goto bad;
    msgpack_object *a = obj.via.array.ptr;
    if (a[0].type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
        a[0].via.u64 > UINT32_MAX)
        goto bad;
    if (a[1].type != MSGPACK_OBJECT_POSITIVE_INTEGER)
        goto bad;
    if (a[2].type != MSGPACK_OBJECT_ARRAY)
        goto bad;
    if (obj.via.array.size == 4) {
        if (a[3].type != MSGPACK_OBJECT_STR ||
            a[3].via.str.size > IPC_MAX_TRACE)
            goto bad;
        f->trace.ptr = a[3].via.str.ptr;
        f->trace.len = a[3].via.str.size;
    }
    f->type = (uint32_t)a[0].via.u64;
    f->req_id = a[1].via.u64;
    f->body = a[2];
    return 0;
bad:
    ipc_frame_free(f);
    return -1;
}

void ipc_frame_free(ipc_frame_t *f)
{
    if (f->zone_live)
        msgpack_zone_destroy(&f->zone);
    free(f->data);
    memset(f, 0, sizeof(*f));
}

void ipc_reader_init(ipc_reader_t *r)
{
    memset(r, 0, sizeof(*r));
}

void ipc_reader_free(ipc_reader_t *r)
{
    ov_buf_free(&r->buf);
}

void ipc_reader_feed(ipc_reader_t *r, const char *p, size_t n)
{
    /* Cut frames leave a consumed prefix; drop it before growing, so that
     * the buffer is compacted once per read, not once per frame. */
    if (r->off > 0) {
        ov_buf_consume(&r->buf, r->off);
        r->off = 0;
    }
    ov_buf_append(&r->buf, p, n);
}

int ipc_reader_next(ipc_reader_t *r, ipc_frame_t *f)
{
    size_t avail = r->buf.len - r->off;
    if (avail < 4)
        return 0;
    const char *p = r->buf.data + r->off;
    uint32_t be;
    memcpy(&be, p, 4);
    uint32_t n = ntohl(be);
    if (n == 0 || n > IPC_MAX_FRAME)
        return -1;
    if (avail - 4 < n)
        return 0;
    int rc = ipc_frame_parse(p + 4, n, f);
    r->off += 4 + (size_t)n;
    if (r->off == r->buf.len) {
        ov_buf_reset(&r->buf);
        r->off = 0;
    }
    return rc == 0 ? 1 : -1;
}

/* ---- message table ---------------------------------------------------- */

const char *ipc_msg_name(uint32_t type)
{
    switch (type) {
#define IPC__NAME(id, NAME, name, dir, FIELDS)                                 \
    case id:                                                                   \
        return #name;
        IPC_MSG_MAP(IPC__NAME)
#undef IPC__NAME
    }
    return "?";
}

int ipc_msg_dir(uint32_t type)
{
    switch (type) {
#define IPC__DIR(id, NAME, name, dir, FIELDS)                                  \
    case id:                                                                   \
        return dir;
        IPC_MSG_MAP(IPC__DIR)
#undef IPC__DIR
    }
    return 0;
}

uint32_t ipc_msg_reply_type(uint32_t request_type)
{
    switch (request_type) {
#define IPC__RPC(REQ, req, REP, rep)                                           \
    case IPC_MSG_##REQ:                                                        \
        return IPC_MSG_##REP;
        IPC_RPC_MAP(IPC__RPC)
#undef IPC__RPC
    }
    return 0;
}

/* ---- field packers ---------------------------------------------------- */

static inline void pack_U32(msgpack_packer *pk, uint32_t v)
{
    msgpack_pack_uint32(pk, v);
}
static inline void pack_I32(msgpack_packer *pk, int32_t v)
{
    msgpack_pack_int32(pk, v);
}
static inline void pack_I64(msgpack_packer *pk, int64_t v)
{
    msgpack_pack_int64(pk, v);
}
static inline void pack_BOOL(msgpack_packer *pk, bool v)
{
    if (v)
        msgpack_pack_true(pk);
    else
        msgpack_pack_false(pk);
}
static inline void pack_F64(msgpack_packer *pk, double v)
{
    msgpack_pack_double(pk, v);
}
static inline void pack_STR(msgpack_packer *pk, ov_str_t v)
{
    msgpack_pack_str(pk, v.len);
    msgpack_pack_str_body(pk, v.ptr ? v.ptr : "", v.len);
}

static inline int unpack_U32(msgpack_zone *z, const msgpack_object *o,
                             uint32_t *v)
{
    if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER || o->via.u64 > UINT32_MAX)
        return -1;
    *v = (uint32_t)o->via.u64;
    return 0;
}
static inline int unpack_I64(msgpack_zone *z, const msgpack_object *o,
                             int64_t *v)
{
    if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
        if (o->via.u64 > INT64_MAX)
            return -1;
        *v = (int64_t)o->via.u64;
        return 0;
    }
    if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
        *v = o->via.i64;
        return 0;
    }
    return -1;
}
static inline int unpack_I32(msgpack_zone *z, const msgpack_object *o,
                             int32_t *v)
{
    int64_t w;
    if (unpack_I64(z, o, &w) != 0 || w < INT32_MIN || w > INT32_MAX)
        return -1;
    *v = (int32_t)w;
    return 0;
}
static inline int unpack_BOOL(msgpack_zone *z, const msgpack_object *o,
                             bool *v)
{
    if (o->type != MSGPACK_OBJECT_BOOLEAN)
        return -1;
    *v = o->via.boolean;
    return 0;
}
static inline int unpack_F64(msgpack_zone *z, const msgpack_object *o,
                             double *v)
{
    if (o->type != MSGPACK_OBJECT_FLOAT64 && o->type != MSGPACK_OBJECT_FLOAT32)
        return -1;
    *v = o->via.f64;
    return 0;
}
static inline int unpack_STR(msgpack_zone *z, const msgpack_object *o,
                             ov_str_t *v)
{
    if (o->type != MSGPACK_OBJECT_STR || o->via.str.size > IPC_MAX_STR)
        return -1;
    v->ptr = o->via.str.ptr;
    v->len = o->via.str.size;
    return 0;
}

/* Nested records and lists. A record is an array of its fields in schema
 * order, checked as strictly as a message body. */

#define IPC__COUNT(type, fname) +1
#define IPC__REC_PACK(type, fname) pack_##type(pk, v.fname);
#define IPC__REC_UNPACK(type, fname)                                           \
    if (unpack_##type(z, &o->via.array.ptr[i++], &v->fname) != 0)              \
        return -1;

/* A nested record type: pack_T/unpack_T for the record and pack_Ts /
 * unpack_Ts for a list of them (items in the frame's zone). */
#define IPC__RECORD_CODEC(T, LIST, ctype, ltype, FIELDS)                       \
    static inline void pack_##T(msgpack_packer *pk, ctype v)                   \
    {                                                                          \
        msgpack_pack_array(pk, 0 FIELDS(IPC__COUNT));                          \
        FIELDS(IPC__REC_PACK)                                                  \
    }                                                                          \
    static inline int unpack_##T(msgpack_zone *z, const msgpack_object *o,     \
                                 ctype *v)                                     \
    {                                                                          \
        uint32_t i = 0;                                                        \
        if (o->type != MSGPACK_OBJECT_ARRAY ||                                 \
            o->via.array.size != (0 FIELDS(IPC__COUNT)))                       \
            return -1;                                                         \
        FIELDS(IPC__REC_UNPACK)                                                \
        return 0;                                                              \
    }                                                                          \
    static inline void pack_##LIST(msgpack_packer *pk, ltype v)                \
    {                                                                          \
        msgpack_pack_array(pk, v.n);                                           \
        for (uint32_t i = 0; i < v.n; i++)                                     \
            pack_##T(pk, v.items[i]);                                          \
    }                                                                          \
    static inline int unpack_##LIST(msgpack_zone *z, const msgpack_object *o, \
                                    ltype *v)                                  \
    {                                                                          \
        if (o->type != MSGPACK_OBJECT_ARRAY ||                                 \
            o->via.array.size > IPC_MAX_LIST)                                  \
            return -1;                                                         \
        v->n = o->via.array.size;                                              \
        v->items = NULL;                                                       \
        if (v->n == 0)                                                         \
            return 0;                                                          \
        v->items = msgpack_zone_malloc(z, v->n * sizeof(ctype));               \
        if (!v->items)                                                         \
            return -1;                                                         \
        for (uint32_t i = 0; i < v->n; i++)                                    \
            if (unpack_##T(z, &o->via.array.ptr[i], &v->items[i]) != 0)        \
                return -1;                                                     \
        return 0;                                                              \
    }

IPC__RECORD_CODEC(ROOM, ROOMS, ipc_room_t, ipc_rooms_t, IPC_ROOM_FIELDS)
IPC__RECORD_CODEC(REC, RECS, ipc_rec_t, ipc_recs_t, IPC_REC_FIELDS)
IPC__RECORD_CODEC(OUTBOX, OUTBOXES, ipc_outbox_t, ipc_outboxes_t,
                  IPC_OUTBOX_ENTRY_FIELDS)

static inline void pack_STRS(msgpack_packer *pk, ipc_strs_t v)
{
    msgpack_pack_array(pk, v.n);
    for (uint32_t i = 0; i < v.n; i++)
        pack_STR(pk, v.items[i]);
}

static inline int unpack_STRS(msgpack_zone *z, const msgpack_object *o,
                              ipc_strs_t *v)
{
    if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size > IPC_MAX_LIST)
        return -1;
    v->n = o->via.array.size;
    v->items = NULL;
    if (v->n == 0)
        return 0;
    v->items = msgpack_zone_malloc(z, v->n * sizeof(ov_str_t));
    if (!v->items)
        return -1;
    for (uint32_t i = 0; i < v->n; i++)
        if (unpack_STR(z, &o->via.array.ptr[i], &v->items[i]) != 0)
            return -1;
    return 0;
}

/* ---- frame writer ----------------------------------------------------- */

static int buf_write_cb(void *data, const char *p, size_t n)
{
    ov_buf_append(data, p, n);
    return 0;
}

/* The trace that frames encoded now carry (see ipc_trace_set). */
static const char *cur_trace;

void ipc_trace_set(const char *trace)
{
    cur_trace = trace && trace[0] && strlen(trace) <= IPC_MAX_TRACE ? trace
                                                                    : NULL;
}

/* Starts a frame: reserves the length prefix and packs [type, req_id, [..
 * with `nfields` fields to follow. Returns the offset of the prefix. */
static size_t frame_begin(ov_buf_t *out, msgpack_packer *pk, uint32_t type,
                          uint64_t req_id, uint32_t nfields)
{
    size_t start = out->len;
    ov_buf_append(out, "\0\0\0\0", 4);
    msgpack_packer_init(pk, out, buf_write_cb);
    msgpack_pack_array(pk, cur_trace ? 4 : 3);
    msgpack_pack_uint32(pk, type);
    msgpack_pack_uint64(pk, req_id);
    msgpack_pack_array(pk, nfields);
    return start;
}

static void frame_end(ov_buf_t *out, msgpack_packer *pk, size_t start)
{
    if (cur_trace) {
        size_t tl = strlen(cur_trace);
        msgpack_pack_str(pk, tl);
        msgpack_pack_str_body(pk, cur_trace, tl);
    }
    size_t n = out->len - start - 4;
    /* Producing an oversized frame is a bug of ours, not the peer's. */
    if (n > IPC_MAX_FRAME)
        abort();
    uint32_t be = htonl((uint32_t)n);
    memcpy(out->data + start, &be, 4);
}

#define IPC__PACK(type, fname) pack_##type(&pk, m->fname);
#define IPC__UNPACK(type, fname)                                               \
    if (unpack_##type((msgpack_zone *)&f->zone, &f->body.via.array.ptr[i++],   \
                      &out->fname) != 0)                                       \
        return -1;

#define IPC__CODEC(id, NAME, name, dir, FIELDS)                                \
    void ipc_##name##_encode(ov_buf_t *out, uint64_t req_id,                   \
                             const ipc_##name##_t *m)                          \
    {                                                                          \
        msgpack_packer pk;                                                     \
        (void)m;                                                               \
        size_t start = frame_begin(out, &pk, id, req_id,                       \
                                   0 FIELDS(IPC__COUNT));                      \
        FIELDS(IPC__PACK)                                                      \
        frame_end(out, &pk, start);                                            \
    }                                                                          \
    int ipc_##name##_decode(const ipc_frame_t *f, ipc_##name##_t *out)         \
    {                                                                          \
        uint32_t i = 0;                                                        \
        memset(out, 0, sizeof(*out));                                          \
        if (f->type != (id) ||                                                 \
            f->body.via.array.size != (0 FIELDS(IPC__COUNT)))                  \
            return -1;                                                         \
        FIELDS(IPC__UNPACK)                                                    \
        (void)i;                                                               \
        return 0;                                                              \
    }
IPC_MSG_MAP(IPC__CODEC)
#undef IPC__CODEC

void ipc_error_reply_encode(ov_buf_t *out, uint32_t reply_type,
                            uint64_t req_id, int32_t err)
{
    switch (reply_type) {
#define IPC__ERR(REP, rep)                                                     \
    case IPC_MSG_##REP: {                                                      \
        ipc_##rep##_t m;                                                       \
        memset(&m, 0, sizeof(m));                                              \
        m.err = err;                                                           \
        ipc_##rep##_encode(out, req_id, &m);                                   \
        return;                                                                \
    }
        IPC_REPLY_MAP(IPC__ERR)
#undef IPC__ERR
    }
    abort();
}
