/* gw_json: see gw_json.h. */
#include "gw_json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

void gw_json_put_str(ov_buf_t *out, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    ov_buf_reserve(out, n + 2);
    ov_buf_append(out, "\"", 1);
    size_t run = 0; /* bytes copied as they are, flushed in one append */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') {
            run++;
            continue;
        }
        ov_buf_append(out, s + i - run, run);
        run = 0;
        char esc[6] = {'\\', 0, 0, 0, 0, 0};
        size_t elen = 2;
        switch (c) {
        case '"':
            esc[1] = '"';
            break;
        case '\\':
            esc[1] = '\\';
            break;
        case '\n':
            esc[1] = 'n';
            break;
        case '\r':
            esc[1] = 'r';
            break;
        case '\t':
            esc[1] = 't';
            break;
        case '\b':
            esc[1] = 'b';
            break;
        case '\f':
            esc[1] = 'f';
            break;
        default:
            esc[1] = 'u';
            esc[2] = '0';
            esc[3] = '0';
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            elen = 6;
        }
        ov_buf_append(out, esc, elen);
    }
    ov_buf_append(out, s + n - run, run);
    ov_buf_append(out, "\"", 1);
}

void gw_json_put_num(ov_buf_t *out, double v)
{
    if (!isfinite(v)) {
        ov_buf_appends(out, "null");
        return;
    }
    if (v == floor(v) && fabs(v) < 9007199254740992.0) {
        ov_buf_printf(out, "%lld", (long long)v);
        return;
    }
    /* %.17g always reads back exactly; try shorter forms first. */
    char tmp[32];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(tmp, sizeof(tmp), "%.*g", prec, v);
        if (strtod(tmp, NULL) == v)
            break;
    }
    ov_buf_appends(out, tmp);
}
