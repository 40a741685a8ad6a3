/* gw_url: see gw_url.h. */
#include "gw_url.h"

#include <string.h>
#include <strings.h>

/* Returns the length of the first comma-separated item of `v`, trimmed;
 * *start receives its offset. */
static size_t first_item(const char *v, size_t *start)
{
    size_t i = 0;
    while (v[i] == ' ' || v[i] == '\t')
        i++;
    size_t j = i;
    while (v[j] && v[j] != ',')
        j++;
    while (j > i && (v[j - 1] == ' ' || v[j - 1] == '\t'))
        j--;
    *start = i;
    return j - i;
}

/* A host is a DNS name, IPv4 address or bracketed IPv6 address, with an
 * optional port: nothing that could change the meaning of a URL. */
static int host_is_plausible(const char *h, size_t n)
{
    if (n == 0 || n > 255)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)h[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '.' || c == '-' || c == ':' ||
              c == '[' || c == ']' || c == '_'))
            return 0;
    }
    return 1;
}

/* Strips the port when it is the scheme's default (":80" for http,
 * ":443" for https), matching the port exactly. */
static size_t strip_default_port(const char *scheme, const char *h, size_t n)
{
    const char *def = strcmp(scheme, "https") == 0 ? ":443" : ":80";
    size_t dl = strlen(def);
    if (n > dl && memcmp(h + n - dl, def, dl) == 0) {
        /* Make sure the colon starts the port (not part of an IPv6 address
         * without brackets, which the plausibility check lets through). */
        const char *colon = memchr(h, ':', n);
        if (colon == h + n - dl)
            return n - dl;
        if (h[0] == '[' && h[n - dl - 1] == ']')
            return n - dl;
    }
    return n;
}

void gw_url_base(const gw_config_t *cfg, const gw_req_t *req, ov_buf_t *out)
{
    if (cfg->base_url[0]) {
        ov_buf_appends(out, cfg->base_url);
    } else {
        const char *scheme = "http";
        const char *host = NULL;
        size_t hlen = 0, off;
        if (cfg->trust_proxy) {
            const char *p = gw_req_header(req, "x-forwarded-proto");
            if (p) {
                size_t n = first_item(p, &off);
                if (n == 5 && strncasecmp(p + off, "https", 5) == 0)
                    scheme = "https";
            }
            const char *fh = gw_req_header(req, "x-forwarded-host");
            if (fh) {
                hlen = first_item(fh, &off);
                host = fh + off;
            }
        }
        if (!host) {
            host = gw_req_header(req, "host");
            hlen = host ? strlen(host) : 0;
        }
        ov_buf_appends(out, scheme);
        ov_buf_appends(out, "://");
        if (host && host_is_plausible(host, hlen))
            ov_buf_append(out, host, strip_default_port(scheme, host, hlen));
        else
            ov_buf_printf(out, "localhost:%lld", (long long)cfg->port);
    }
    /* base_path always starts and ends with '/'; "/" adds nothing. */
    size_t bl = strlen(cfg->base_path);
    if (bl > 1)
        ov_buf_append(out, cfg->base_path, bl - 1);
}
