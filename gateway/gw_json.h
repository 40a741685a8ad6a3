/*
 * gw_json: writing JSON text straight into a buffer, for the hot responses
 * (rooms, pages of rooms) whose shape is fixed, so that they are not built
 * as jansson trees and dumped again. Everything else uses jansson.
 */
#ifndef GW_JSON_H
#define GW_JSON_H

#include <stddef.h>

#include "ov_mem.h"

/** Appends `s` (n bytes of UTF-8) as a JSON string literal, quotes
 *  included, escaping '"', '\\' and control characters. */
void gw_json_put_str(ov_buf_t *out, const char *s, size_t n);

/** Appends a JSON number: an integer when `v` is integral and exact in a
 *  double, otherwise the shortest text that reads back as `v`. */
void gw_json_put_num(ov_buf_t *out, double v);

#endif
