/* ov_err: lookups generated from OV_ERR_MAP. */
#include "ov_err.h"

const char *ov_strerror(int err)
{
    switch (err) {
    case OV_OK:
        return "OK";
#define OV__ERR_MSG(sym, val, status, name, msg)                               \
    case sym:                                                                  \
        return msg;
        OV_ERR_MAP(OV__ERR_MSG)
#undef OV__ERR_MSG
    }
    return "Unknown error";
}

const char *ov_err_name(int err)
{
    switch (err) {
    case OV_OK:
        return "OK";
#define OV__ERR_NAME(sym, val, status, name, msg)                              \
    case sym:                                                                  \
        return name;
        OV_ERR_MAP(OV__ERR_NAME)
#undef OV__ERR_NAME
    }
    return "Internal Server Error";
}

int ov_err_http_status(int err)
{
    switch (err) {
    case OV_OK:
        return 200;
#define OV__ERR_STATUS(sym, val, status, name, msg)                            \
    case sym:                                                                  \
        return status;
        OV_ERR_MAP(OV__ERR_STATUS)
#undef OV__ERR_STATUS
    }
    return 500;
}

int ov_err_known(int err)
{
    switch (err) {
    case OV_OK:
#define OV__ERR_KNOWN(sym, val, status, name, msg) case sym:
        OV_ERR_MAP(OV__ERR_KNOWN)
#undef OV__ERR_KNOWN
        return 1;
    }
    return 0;
}
