/*
 * ipc_msgs: the schema of every message between the gateway and the workers.
 *
 * This file is the one place that defines them. Each message is one row of
 * IPC_MSG_MAP: explicit numeric id, name, lowercase name, direction and field
 * list. Ids are added only at the end of their range and never reused; every
 * change to a row or a field list bumps IPC_PROTO_VERSION. Control messages
 * (1-99) are kept apart from operations (100 and up), as nginx keeps its
 * channel commands apart.
 *
 * Each request has exactly one reply type (IPC_RPC_MAP). Every reply's first
 * field is `err`, an ov_err code (0 on success); the other fields are
 * meaningful only when err is 0.
 *
 * Field types: U32, I32, I64, BOOL, F64 and STR. A decoded STR is an ov_str_t
 * view into the frame it came from (valid until ipc_frame_free()).
 */
#ifndef IPC_MSGS_H
#define IPC_MSGS_H

#define IPC_PROTO_VERSION 1

typedef enum {
    IPC_GW2WK = 1, /* sent by the gateway, handled by a worker */
    IPC_WK2GW = 2, /* sent by a worker, handled by the gateway */
} ipc_dir_t;

/* READY: a worker has opened its shard, entered its sandbox and serves. */
#define IPC_READY_FIELDS(F)                                                    \
    F(U32, proto_version)                                                      \
    F(U32, shard)                                                              \
    F(I64, pid)

/* PING: liveness probe of a worker and its database. */
#define IPC_PING_FIELDS(F) F(I64, nonce)
#define IPC_PONG_FIELDS(F)                                                     \
    F(I32, err)                                                                \
    F(I64, nonce)

/* SHUTDOWN: finish what is queued, close the shard and exit 0. No reply. */
#define IPC_SHUTDOWN_FIELDS(F)

/* APIKEY_ENSURE (system shard only): return the stored API key; if none is
 * stored yet, store `candidate` first and report created = true. */
#define IPC_APIKEY_ENSURE_FIELDS(F) F(STR, candidate)
#define IPC_APIKEY_ENSURE_REPLY_FIELDS(F)                                      \
    F(I32, err)                                                                \
    F(STR, key)                                                                \
    F(BOOL, created)

/* XX(id, NAME, name, direction, FIELDS) */
#define IPC_MSG_MAP(XX)                                                        \
    XX(1, READY, ready, IPC_WK2GW, IPC_READY_FIELDS)                           \
    XX(2, PING, ping, IPC_GW2WK, IPC_PING_FIELDS)                              \
    XX(3, PONG, pong, IPC_WK2GW, IPC_PONG_FIELDS)                              \
    XX(4, SHUTDOWN, shutdown, IPC_GW2WK, IPC_SHUTDOWN_FIELDS)                  \
    XX(100, APIKEY_ENSURE, apikey_ensure, IPC_GW2WK,                           \
       IPC_APIKEY_ENSURE_FIELDS)                                               \
    XX(101, APIKEY_ENSURE_REPLY, apikey_ensure_reply, IPC_WK2GW,               \
       IPC_APIKEY_ENSURE_REPLY_FIELDS)

/* XX(REQUEST, request, REPLY, reply) */
#define IPC_RPC_MAP(XX)                                                        \
    XX(PING, ping, PONG, pong)                                                 \
    XX(APIKEY_ENSURE, apikey_ensure, APIKEY_ENSURE_REPLY, apikey_ensure_reply)

typedef enum {
#define IPC__MSG_ENUM(id, NAME, name, dir, FIELDS) IPC_MSG_##NAME = (id),
    IPC_MSG_MAP(IPC__MSG_ENUM)
#undef IPC__MSG_ENUM
} ipc_msg_type_t;

#endif
