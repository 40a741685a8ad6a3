/*
 * gw_json: writing JSON text straight into a buffer, for the hot responses
 * (rooms, pages of rooms) whose shape is fixed, so that they are not built
 * as jansson trees and dumped again. Everything else uses jansson.
 */
#ifndef GW_JSON_H
#define GW_JSON_H

#include <jansson.h>
#include <stddef.h>

#include "ov_mem.h"

/** Flags for dumping stored configuration (room configs, encodings):
 *  compact, and reals with 15 significant digits, so that a value such as
 *  29.97 reads back as it was written (jansson's default of 17 digits
 *  prints 29.969999999999999). Workers use the same flags. */
#define GW_JSON_CONFIG_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(15))

/** Appends `s` (n bytes of UTF-8) as a JSON string literal, quotes
 *  included, escaping '"', '\\' and control characters. */
void gw_json_put_str(ov_buf_t *out, const char *s, size_t n);

/** Appends a JSON number: an integer when `v` is integral and exact in a
 *  double, otherwise the shortest text that reads back as `v`. */
void gw_json_put_num(ov_buf_t *out, double v);

#endif
