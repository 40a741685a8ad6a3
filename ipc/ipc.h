/*
 * ipc: framing and codecs for the messages of ipc_msgs.h.
 *
 * A frame is a 4-byte big-endian length (of what follows, at most
 * IPC_MAX_FRAME) followed by a msgpack array [type, req_id, body] or
 * [type, req_id, body, trace], where body is an array of the message's
 * fields in schema order and trace, when present, is the X-Request-Id of the
 * HTTP request the message serves (for the worker's log lines). Replies echo the
 * req_id of their request. Decoders treat the peer as hostile: wrong types,
 * missing or extra fields, trailing bytes, oversized strings and oversized
 * frames are all rejected, and the caller then drops the channel.
 *
 * For every row NAME/name of IPC_MSG_MAP this module provides
 *   typedef struct {...} ipc_<name>_t;            fields as in the schema
 *   void ipc_<name>_encode(ov_buf_t *out, uint64_t req_id,
 *                          const ipc_<name>_t *m); appends one whole frame
 *   int  ipc_<name>_decode(const ipc_frame_t *f, ipc_<name>_t *out);
 *        returns 0, or -1 if the frame is not a well-formed <name>;
 *        STR fields of `out` are views into `f`.
 */
#ifndef IPC_H
#define IPC_H

#include <msgpack.h>
#include <stdbool.h>
#include <stdint.h>

#include "../common/ov_mem.h"
#include "ipc_msgs.h"

/** Largest frame accepted or produced, excluding the length prefix. */
#define IPC_MAX_FRAME (16u * 1024u * 1024u)
/** Longest trace accepted (an X-Request-Id). */
#define IPC_MAX_TRACE 128u

/** Largest STR field accepted by a decoder. */
#define IPC_MAX_STR (4u * 1024u * 1024u)

#define IPC__CT_U32 uint32_t
#define IPC__CT_I32 int32_t
#define IPC__CT_I64 int64_t
#define IPC__CT_BOOL bool
#define IPC__CT_F64 double
#define IPC__CT_STR ov_str_t
#define IPC__CT_ROOM ipc_room_t
#define IPC__CT_ROOMS ipc_rooms_t
#define IPC__CT_STRS ipc_strs_t
#define IPC__CT_REC ipc_rec_t
#define IPC__CT_RECS ipc_recs_t
#define IPC__CT_OUTBOX ipc_outbox_t
#define IPC__CT_OUTBOXES ipc_outboxes_t

#define IPC__FIELD_DECL(type, fname) IPC__CT_##type fname;

/** A room record (IPC_ROOM_FIELDS). */
typedef struct {
    IPC_ROOM_FIELDS(IPC__FIELD_DECL)
} ipc_room_t;

/** A recording record (IPC_REC_FIELDS). */
typedef struct {
    IPC_REC_FIELDS(IPC__FIELD_DECL)
} ipc_rec_t;

/** A list of recording records; decoded items live in the frame's zone. */
typedef struct {
    ipc_rec_t *items;
    uint32_t n;
} ipc_recs_t;

/** An outbox entry (IPC_OUTBOX_ENTRY_FIELDS). */
typedef struct {
    IPC_OUTBOX_ENTRY_FIELDS(IPC__FIELD_DECL)
} ipc_outbox_t;

/** A list of outbox entries; decoded items live in the frame's zone. */
typedef struct {
    ipc_outbox_t *items;
    uint32_t n;
} ipc_outboxes_t;

/** A list of room records; decoded items live in the frame's zone. */
typedef struct {
    ipc_room_t *items;
    uint32_t n;
} ipc_rooms_t;

/** A list of strings; decoded items live in the frame's zone. */
typedef struct {
    ov_str_t *items;
    uint32_t n;
} ipc_strs_t;

/** Largest number of items in a decoded ROOMS or STRS list. */
#define IPC_MAX_LIST 100000u

#define IPC__STRUCT(id, NAME, name, dir, FIELDS)                               \
    typedef struct {                                                           \
        char ipc__unused; /* keeps empty messages valid C */                   \
        FIELDS(IPC__FIELD_DECL)                                                \
    } ipc_##name##_t;
IPC_MSG_MAP(IPC__STRUCT)
#undef IPC__STRUCT

/** One received frame. It owns its bytes; the body and every STR decoded
 *  from it are views, valid until ipc_frame_free(). */
typedef struct {
    uint32_t type;
    uint64_t req_id;
    msgpack_object body; /* the fields array */
    ov_str_t trace;      /* the request id it serves; len 0 if none */
    char *data;          /* owned copy of the frame bytes */
    size_t len;
    msgpack_zone zone;
    int zone_live;
} ipc_frame_t;

/** Parses `len` bytes (one frame without its length prefix) into `f`,
 *  copying them. Returns 0, or -1 if the bytes are not [uint, uint, array]
 *  with nothing after it. On -1, `f` needs no freeing. */
int ipc_frame_parse(const char *p, size_t len, ipc_frame_t *f);

/** Releases what ipc_frame_parse() or ipc_reader_next() stored in `f`. */
void ipc_frame_free(ipc_frame_t *f);

/** Accumulates bytes read from a stream socket and cuts them into frames. */
typedef struct {
    ov_buf_t buf;
    size_t off; /* bytes of `buf` already cut into frames */
} ipc_reader_t;

void ipc_reader_init(ipc_reader_t *r);
void ipc_reader_free(ipc_reader_t *r);
/** Appends `n` received bytes. */
void ipc_reader_feed(ipc_reader_t *r, const char *p, size_t n);
/** Returns 1 and fills `f` (free it with ipc_frame_free) when a whole frame
 *  is buffered, 0 when more bytes are needed, and -1 on a protocol
 *  violation (oversized or unparsable frame). */
int ipc_reader_next(ipc_reader_t *r, ipc_frame_t *f);

/** Makes frames encoded from now on carry `trace` (borrowed: it must stay
 *  valid until reset; NULL or "" for none; longer than IPC_MAX_TRACE is
 *  dropped). Processes are single-threaded, so a plain module variable is
 *  enough. */
void ipc_trace_set(const char *trace);

/** Returns the name of a message type ("?" if unknown). */
const char *ipc_msg_name(uint32_t type);
/** Returns the direction of a message type, or 0 if unknown. */
int ipc_msg_dir(uint32_t type);
/** Returns the reply type of a request type, or 0 if it has none. */
uint32_t ipc_msg_reply_type(uint32_t request_type);

#define IPC__PROTOS(id, NAME, name, dir, FIELDS)                               \
    void ipc_##name##_encode(ov_buf_t *out, uint64_t req_id,                   \
                             const ipc_##name##_t *m);                         \
    int ipc_##name##_decode(const ipc_frame_t *f, ipc_##name##_t *out);
IPC_MSG_MAP(IPC__PROTOS)
#undef IPC__PROTOS

/** Appends a frame of `type` whose reply fields are only `err` (every reply
 *  struct begins with it): used to answer a request with an error. */
void ipc_error_reply_encode(ov_buf_t *out, uint32_t reply_type,
                            uint64_t req_id, int32_t err);

#endif
