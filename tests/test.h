/*
 * test.h: typed assertions for the unit tests. Each failed check prints the
 * expression, both values and the location, then aborts the test binary;
 * ctest reports the failure. A test file defines main() and calls its test
 * functions through TEST_RUN, which prints one line per test.
 */
#ifndef MEETD_TEST_H
#define MEETD_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEST__FAIL(...)                                                        \
    do {                                                                       \
        fprintf(stderr, "%s:%d: ", __FILE__, __LINE__);                        \
        fprintf(stderr, __VA_ARGS__);                                          \
        fprintf(stderr, "\n");                                                 \
        abort();                                                               \
    } while (0)

#define ASSERT(expr)                                                           \
    do {                                                                       \
        if (!(expr))                                                           \
            TEST__FAIL("assertion failed: %s", #expr);                         \
    } while (0)

#define ASSERT_INT_EQ(a, b)                                                    \
    do {                                                                       \
        long long test__a = (long long)(a), test__b = (long long)(b);          \
        if (test__a != test__b)                                                \
            TEST__FAIL("%s == %s: %lld != %lld", #a, #b, test__a, test__b);    \
    } while (0)

#define ASSERT_INT_NE(a, b)                                                    \
    do {                                                                       \
        long long test__a = (long long)(a), test__b = (long long)(b);          \
        if (test__a == test__b)                                                \
            TEST__FAIL("%s != %s: both %lld", #a, #b, test__a);                \
    } while (0)

#define ASSERT_UINT_EQ(a, b)                                                   \
    do {                                                                       \
        unsigned long long test__a = (unsigned long long)(a),                  \
                           test__b = (unsigned long long)(b);                  \
        if (test__a != test__b)                                                \
            TEST__FAIL("%s == %s: %llu != %llu", #a, #b, test__a, test__b);    \
    } while (0)

#define ASSERT_STR_EQ(a, b)                                                    \
    do {                                                                       \
        const char *test__a = (a), *test__b = (b);                             \
        if (!test__a || !test__b || strcmp(test__a, test__b) != 0)             \
            TEST__FAIL("%s == %s: \"%s\" != \"%s\"", #a, #b,                   \
                       test__a ? test__a : "(null)",                           \
                       test__b ? test__b : "(null)");                          \
    } while (0)

#define ASSERT_NULL(p)                                                         \
    do {                                                                       \
        if ((p) != NULL)                                                       \
            TEST__FAIL("%s is not NULL", #p);                                  \
    } while (0)

#define ASSERT_NOT_NULL(p)                                                     \
    do {                                                                       \
        if ((p) == NULL)                                                       \
            TEST__FAIL("%s is NULL", #p);                                      \
    } while (0)

#define TEST_RUN(fn)                                                           \
    do {                                                                       \
        fn();                                                                  \
        printf("ok - %s\n", #fn);                                              \
    } while (0)

#endif
