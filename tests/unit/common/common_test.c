/* Unit tests of common/: the error table, buffers, randomness, hashing. */
#include <string.h>

#include "ov_err.h"
#include "ov_mem.h"
#include "ov_util.h"
#include "test.h"

static void test_err_table(void)
{
    ASSERT_INT_EQ(ov_err_http_status(OV_ENOPATH), 404);
    ASSERT_STR_EQ(ov_err_name(OV_ENOPATH), "Path Not Found");
    ASSERT_STR_EQ(ov_strerror(OV_ENOPATH), "API path not implemented");
    ASSERT_INT_EQ(ov_err_http_status(OV_EBADBODY), 400);
    ASSERT_STR_EQ(ov_strerror(OV_EBADBODY), "Malformed body");
    ASSERT_STR_EQ(ov_strerror(OV_ENOKEYS),
                  "There are no API keys configured yet. Please, create one "
                  "to access the API");
    ASSERT_INT_EQ(ov_err_http_status(OV_EUNAVAIL), 503);
    ASSERT_INT_EQ(ov_err_http_status(12345), 500);
    ASSERT_INT_EQ(ov_err_known(OV_EBADKEY), 1);
    ASSERT_INT_EQ(ov_err_known(0), 1);
    ASSERT_INT_EQ(ov_err_known(-9999), 0);
    ASSERT_INT_EQ(ov_err_known(7), 0);
}

static void test_buf(void)
{
    ov_buf_t b = OV_BUF_INIT;
    ov_buf_appends(&b, "hello");
    ov_buf_printf(&b, " %d", 42);
    ASSERT_STR_EQ(b.data, "hello 42");
    ov_buf_consume(&b, 6);
    ASSERT_STR_EQ(b.data, "42");
    for (int i = 0; i < 10000; i++)
        ov_buf_append(&b, "x", 1);
    ASSERT_UINT_EQ(b.len, 10002);
    ov_buf_reset(&b);
    ASSERT_UINT_EQ(b.len, 0);
    ov_buf_free(&b);
    ASSERT_NULL(b.data);
    ASSERT(ov_str_ieq(OV_STR_LIT("X-Api-Key"), "x-api-key"));
    ASSERT(!ov_str_ieq(OV_STR_LIT("X-Api-Ke"), "x-api-key"));
}

static void test_rand_hex(void)
{
    char a[16], b[16];
    ASSERT_INT_EQ(ov_rand_hex(a, 15), 0);
    ASSERT_INT_EQ(ov_rand_hex(b, 15), 0);
    ASSERT_UINT_EQ(strlen(a), 15);
    ASSERT_UINT_EQ(strspn(a, "0123456789abcdef"), 15);
    ASSERT(strcmp(a, b) != 0);
}

static void test_ct_equal_and_hash(void)
{
    ASSERT_INT_EQ(ov_ct_equal("abc", 3, "abc", 3), 1);
    ASSERT_INT_EQ(ov_ct_equal("abc", 3, "abd", 3), 0);
    ASSERT_INT_EQ(ov_ct_equal("abc", 3, "abcd", 4), 0);
    /* Shard placement must never change: pin known values. */
    ASSERT_UINT_EQ(ov_hash64("", 0), 0xcbf29ce484222325ull);
    ASSERT_UINT_EQ(ov_hash64("a", 1), 0xaf63dc4c8601ec8cull);
    unsigned counts[4] = {0};
    for (int i = 0; i < 4000; i++) {
        char key[32];
        int n = snprintf(key, sizeof(key), "room-%d", i);
        uint32_t s = ov_shard_of(key, (size_t)n, 4);
        ASSERT(s < 4);
        counts[s]++;
    }
    for (int i = 0; i < 4; i++)
        ASSERT(counts[i] > 800);
}

int main(void)
{
    TEST_RUN(test_err_table);
    TEST_RUN(test_buf);
    TEST_RUN(test_rand_hex);
    TEST_RUN(test_ct_equal_and_hash);
    return 0;
}
