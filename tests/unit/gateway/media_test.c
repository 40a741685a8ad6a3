/*
 * media_test: the byte-range rules of GET /recordings/{id}/media
 * (BEHAVIOUR.md §7.8), as gw_media_range() applies them.
 */
#include "gw_routes_media.h"

#include "test.h"

static gw_media_range_t rng(bool has, int64_t start, int64_t end, int64_t size,
                            int64_t *first, int64_t *last)
{
    return gw_media_range(has, start, end, size, first, last);
}

static void test_no_range(void)
{
    int64_t f, l;

    ASSERT_INT_EQ(rng(false, 0, -1, 1000, &f, &l), GW_MEDIA_FULL);
    ASSERT_INT_EQ(f, 0);
    ASSERT_INT_EQ(l, 999);
    /* An empty file is served whole (zero bytes). */
    ASSERT_INT_EQ(rng(false, 0, -1, 0, &f, &l), GW_MEDIA_FULL);
    ASSERT_INT_EQ(l - f + 1, 0);
}

static void test_closed_ranges(void)
{
    int64_t f, l;

    ASSERT_INT_EQ(rng(true, 0, 99, 1000, &f, &l), GW_MEDIA_PARTIAL);
    ASSERT_INT_EQ(f, 0);
    ASSERT_INT_EQ(l, 99);
    ASSERT_INT_EQ(rng(true, 999, 999, 1000, &f, &l), GW_MEDIA_PARTIAL);
    ASSERT_INT_EQ(f, 999);
    ASSERT_INT_EQ(l, 999);
    /* The end is clamped to the last byte. */
    ASSERT_INT_EQ(rng(true, 10, 5000, 1000, &f, &l), GW_MEDIA_PARTIAL);
    ASSERT_INT_EQ(f, 10);
    ASSERT_INT_EQ(l, 999);
    ASSERT_INT_EQ(rng(true, 10, INT64_MAX, 1000, &f, &l), GW_MEDIA_PARTIAL);
    ASSERT_INT_EQ(l, 999);
}

static void test_open_ranges(void)
{
    int64_t f, l, big = 3 * (int64_t)GW_MEDIA_OPEN_RANGE;

    /* At most 5 MiB. */
    ASSERT_INT_EQ(rng(true, 100, -1, big, &f, &l), GW_MEDIA_PARTIAL);
    ASSERT_INT_EQ(f, 100);
    ASSERT_INT_EQ(l, 100 + GW_MEDIA_OPEN_RANGE - 1);
    /* Near the end: clamped. */
    ASSERT_INT_EQ(rng(true, big - 10, -1, big, &f, &l), GW_MEDIA_PARTIAL);
    ASSERT_INT_EQ(f, big - 10);
    ASSERT_INT_EQ(l, big - 1);
}

static void test_unsatisfiable(void)
{
    int64_t f, l;

    ASSERT_INT_EQ(rng(true, 1000, -1, 1000, &f, &l), GW_MEDIA_UNSATISFIABLE);
    ASSERT_INT_EQ(rng(true, 1000, 2000, 1000, &f, &l), GW_MEDIA_UNSATISFIABLE);
    ASSERT_INT_EQ(rng(true, INT64_MAX, -1, 1000, &f, &l),
                  GW_MEDIA_UNSATISFIABLE);
    ASSERT_INT_EQ(rng(true, 0, -1, 0, &f, &l), GW_MEDIA_UNSATISFIABLE);
}

static void test_start_after_end(void)
{
    int64_t f, l;

    /* bytes=500-100: the range is ignored and the whole file served. */
    ASSERT_INT_EQ(rng(true, 500, 100, 1000, &f, &l), GW_MEDIA_FULL);
    ASSERT_INT_EQ(f, 0);
    ASSERT_INT_EQ(l, 999);
}

int main(void)
{
    TEST_RUN(test_no_range);
    TEST_RUN(test_closed_ranges);
    TEST_RUN(test_open_ranges);
    TEST_RUN(test_unsatisfiable);
    TEST_RUN(test_start_after_end);
    return 0;
}
