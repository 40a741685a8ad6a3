/*
 * ov_err: the one table of meetd error codes.
 *
 * Every failure that can reach a client is a row of OV_ERR_MAP: a negative
 * code, the HTTP status it maps to, the OpenVidu "error" name and the default
 * message. Workers return these codes over IPC; the gateway turns them into
 * JSON bodies with ov_err_http_status(), ov_err_name() and ov_strerror().
 * 0 is success; every code is negative.
 */
#ifndef OV_ERR_H
#define OV_ERR_H

/* XX(symbol, value, http status, OpenVidu error name, default message) */
#define OV_ERR_MAP(XX)                                                         \
    XX(OV_EBADREQ, -1, 400, "Bad Request", "Malformed request")                \
    XX(OV_EBADBODY, -2, 400, "Bad Request", "Malformed body")                  \
    XX(OV_EUNAUTH, -3, 401, "Authentication Error", "Unauthorized")            \
    XX(OV_ENOKEYS, -4, 401, "Authentication Error",                            \
       "There are no API keys configured yet. Please, create one to access "   \
       "the API")                                                              \
    XX(OV_EBADKEY, -5, 401, "Authentication Error", "Invalid API key")         \
    XX(OV_ENOPATH, -6, 404, "Path Not Found", "API path not implemented")      \
    XX(OV_ENOTFOUND, -7, 404, "Not Found", "Not found")                        \
    XX(OV_EMETHOD, -8, 405, "Method Not Allowed", "Method not allowed")        \
    XX(OV_ETOOBIG, -9, 413, "Payload Too Large",                               \
       "Request body exceeds the size limit")                                  \
    XX(OV_EURILONG, -10, 414, "URI Too Long", "Request URL exceeds the size "  \
       "limit")                                                                \
    XX(OV_EHDRBIG, -11, 431, "Request Header Fields Too Large",                \
       "Request header section exceeds the size limit")                        \
    XX(OV_EINVAL, -12, 422, "Unprocessable Entity", "Invalid request")         \
    XX(OV_ECONFLICT, -13, 409, "Conflict", "Conflict")                         \
    XX(OV_EINTERNAL, -14, 500, "Internal Server Error", "Unexpected error")    \
    XX(OV_EUNAVAIL, -15, 503, "Service Unavailable",                           \
       "Shard is unavailable, retry later")                                    \
    XX(OV_ESTORAGE, -16, 503, "Storage Error",                                 \
       "Storage is unavailable, retry later")                                  \
    XX(OV_ETIMEDOUT, -17, 503, "Service Unavailable",                          \
       "Shard did not answer in time, retry later")                            \
    XX(OV_ESHUTDOWN, -18, 503, "Service Unavailable",                          \
       "Server is shutting down")                                              \
    XX(OV_ETIMEOUT_REQ, -19, 408, "Request Timeout",                           \
       "Request was not received in time")                                    \
    XX(OV_EPROTO, -20, 500, "Internal Server Error",                           \
       "Unexpected error: shard protocol violation")                           \
    XX(OV_EEXPECT, -21, 417, "Expectation Failed", "Unsupported expectation")  \
    XX(OV_ETOOMANYCONN, -22, 503, "Service Unavailable",                       \
       "Too many connections")                                                 \
    XX(OV_ENOROOM, -23, 404, "Room Error", "Room does not exist")              \
    XX(OV_EROOMACTIVE, -24, 409, "Room Error", "Room has an active meeting")  \
    XX(OV_ENOREC, -25, 404, "Recording Error", "Recording not found")          \
    XX(OV_ERECDISABLED, -26, 403, "Recording Error",                           \
       "Recording is disabled for room")                                       \
    XX(OV_ERECLOCKED, -27, 409, "Recording Error",                             \
       "Room is already being recorded")                                       \
    XX(OV_ENOPARTICIPANTS, -28, 409, "Recording Error",                        \
       "Room has no participants")                                             \
    XX(OV_ERECNOTSTOPPED, -29, 409, "Recording Error",                         \
       "Recording is not stopped yet")                                         \
    XX(OV_ERECSTARTING, -30, 409, "Recording Error",                           \
       "Recording cannot be stopped while starting")                           \
    XX(OV_ERECSTOPPED, -31, 409, "Recording Error",                            \
       "Recording is already stopped")                                         \
    XX(OV_ERECTIMEOUT, -32, 503, "Recording Error",                            \
       "Recording timed out while starting")                                   \
    XX(OV_EEGRESS, -33, 500, "Internal Server Error",                          \
       "Unexpected error while starting Room Composite Egress")                \
    XX(OV_ERANGE, -34, 416, "Recording Error", "Range not satisfiable")        \
    XX(OV_ELIVEKIT, -35, 503, "LiveKit Error", "LiveKit is not available")

typedef enum {
    OV_OK = 0,
#define OV__ERR_ENUM(sym, val, status, name, msg) sym = (val),
    OV_ERR_MAP(OV__ERR_ENUM)
#undef OV__ERR_ENUM
} ov_err;

/** Returns the default message of `err` (static string; "Unknown error" for
 *  a code outside the table, "OK" for 0). */
const char *ov_strerror(int err);

/** Returns the OpenVidu error name of `err` (static string). */
const char *ov_err_name(int err);

/** Returns 1 if `err` is 0 or a row of the table, else 0. */
int ov_err_known(int err);

/** Returns the HTTP status `err` maps to (500 for unknown codes, 200 for 0). */
int ov_err_http_status(int err);

#endif
