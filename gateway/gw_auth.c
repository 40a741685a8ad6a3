/* gw_auth: see gw_auth.h. */
#include "gw_auth.h"

#include <string.h>

#include "ov_err.h"
#include "ov_util.h"

int gw_auth_check_api_key(const char *stored_key, const char *header_value)
{
    if (!header_value || header_value[0] == '\0')
        return OV_EUNAUTH;
    if (!stored_key || stored_key[0] == '\0')
        return OV_ENOKEYS;
    if (!ov_ct_equal(stored_key, strlen(stored_key), header_value,
                     strlen(header_value)))
        return OV_EBADKEY;
    return 0;
}

int gw_auth_generate_key(char *out, unsigned long outlen)
{
    if (outlen < 40)
        return -1;
    memcpy(out, "ovmeet-", 7);
    return ov_rand_hex(out + 7, 32);
}
