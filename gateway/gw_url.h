/*
 * gw_url: the base URL that returned URLs and Location headers start with
 * (BEHAVIOUR.md §1.3, with meetd's fix).
 *
 * baseUrl = <hostUrl><MEET_BASE_PATH without its trailing slash>. hostUrl
 * is MEET_BASE_URL when set (already normalised by gw_config); otherwise it
 * is built from the same request: X-Forwarded-Proto / X-Forwarded-Host when
 * SERVER_TRUST_PROXY is on, else "http" and the Host header. It is never
 * taken from another request, unlike the reference. A Host value that is
 * not a plausible host[:port] falls back to localhost:<SERVER_PORT>.
 */
#ifndef GW_URL_H
#define GW_URL_H

#include "gw_config.h"
#include "gw_http.h"
#include "ov_mem.h"

/** Appends the base URL for `req` to `out`. */
void gw_url_base(const gw_config_t *cfg, const gw_req_t *req, ov_buf_t *out);

#endif
