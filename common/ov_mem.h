/*
 * ov_mem: allocation that never returns NULL, strings as (pointer, length)
 * views, and a growable byte buffer.
 *
 * Allocation failure is fatal in meetd (as in h2o and OpenSMTPD): every
 * ov_x* function either succeeds or exits the process.
 */
#ifndef OV_MEM_H
#define OV_MEM_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/** Returns new memory, free with free(). Never NULL. */
void *ov_xmalloc(size_t n);
void *ov_xcalloc(size_t count, size_t size);
void *ov_xrealloc(void *p, size_t n);
/** Returns a new NUL-terminated copy of `s`, free with free(). */
char *ov_xstrdup(const char *s);
/** Returns a new NUL-terminated copy of the `n` bytes at `s`. */
char *ov_xstrndup(const char *s, size_t n);

/** A view of bytes; NUL-terminated only where documented. */
typedef struct {
    const char *ptr;
    size_t len;
} ov_str_t;

#define OV_STR_LIT(s) ((ov_str_t){(s), sizeof(s) - 1})

static inline ov_str_t ov_str(const char *s)
{
    return (ov_str_t){s, s ? strlen(s) : 0};
}

static inline int ov_str_eq(ov_str_t a, ov_str_t b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

/** Byte-wise order of two views (memcmp, then the shorter first), the
 *  order SQLite's BINARY collation gives. */
static inline int ov_str_cmp(ov_str_t a, ov_str_t b)
{
    size_t n = a.len < b.len ? a.len : b.len;
    int c = n ? memcmp(a.ptr, b.ptr, n) : 0;
    if (c != 0)
        return c;
    return a.len < b.len ? -1 : a.len > b.len;
}

/** Case-insensitive ASCII comparison of a view and a C string. */
int ov_str_ieq(ov_str_t a, const char *b);

/** A growable byte buffer; `data` is owned and NUL-terminated after every
 *  append (the NUL is not counted in `len`). */
typedef struct {
    char *data;
    size_t len;
    size_t cap;
} ov_buf_t;

#define OV_BUF_INIT {NULL, 0, 0}

void ov_buf_reserve(ov_buf_t *b, size_t extra);
void ov_buf_append(ov_buf_t *b, const void *p, size_t n);
void ov_buf_appends(ov_buf_t *b, const char *s);
void ov_buf_printf(ov_buf_t *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/** Removes the first `n` bytes. */
void ov_buf_consume(ov_buf_t *b, size_t n);
void ov_buf_reset(ov_buf_t *b);
/** Frees the storage; the buffer is empty and reusable afterwards. */
void ov_buf_free(ov_buf_t *b);

#endif
