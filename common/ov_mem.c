/* ov_mem: see ov_mem.h. */
#include "ov_mem.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#include "ov_log.h"

void *ov_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        ov_fatalx("out of memory allocating %zu bytes", n);
    return p;
}

void *ov_xcalloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p)
        ov_fatalx("out of memory allocating %zu x %zu bytes", count, size);
    return p;
}

void *ov_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        ov_fatalx("out of memory reallocating %zu bytes", n);
    return q;
}

char *ov_xstrndup(const char *s, size_t n)
{
    char *p = ov_xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *ov_xstrdup(const char *s)
{
    return ov_xstrndup(s, strlen(s));
}

int ov_str_ieq(ov_str_t a, const char *b)
{
    size_t n = strlen(b);
    return a.len == n && strncasecmp(a.ptr, b, n) == 0;
}

void ov_buf_reserve(ov_buf_t *b, size_t extra)
{
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap *= 2;
    b->data = ov_xrealloc(b->data, cap);
    b->cap = cap;
}

void ov_buf_append(ov_buf_t *b, const void *p, size_t n)
{
    ov_buf_reserve(b, n);
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void ov_buf_appends(ov_buf_t *b, const char *s)
{
    ov_buf_append(b, s, strlen(s));
}

void ov_buf_printf(ov_buf_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    ov_buf_reserve(b, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void ov_buf_consume(ov_buf_t *b, size_t n)
{
    if (n >= b->len) {
        b->len = 0;
    } else {
        memmove(b->data, b->data + n, b->len - n);
        b->len -= n;
    }
    if (b->data)
        b->data[b->len] = '\0';
}

void ov_buf_reset(ov_buf_t *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

void ov_buf_free(ov_buf_t *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}
