/*
 * fuzz_range: the Range header of GET /recordings/{id}/media. The input is
 * the header value; what gw_valid_range accepts goes through gw_media_range
 * for a set of file sizes (edge cases and one derived from the input), and
 * the chosen bytes must lie inside the file.
 */
#include <jansson.h>
#include <string.h>

#include "fuzz.h"
#include "gw_routes_media.h"
#include "gw_valid_rec.h"
#include "ov_err.h"

static void check_range(bool has, int64_t start, int64_t end, int64_t size)
{
    int64_t first = -2, last = -2;
    gw_media_range_t k = gw_media_range(has, start, end, size, &first, &last);

    switch (k) {
    case GW_MEDIA_FULL:
        FUZZ_CHECK(first == 0 && last == size - 1);
        break;
    case GW_MEDIA_PARTIAL:
        FUZZ_CHECK(has && first == start);
        FUZZ_CHECK(first >= 0 && first <= last && last <= size - 1);
        FUZZ_CHECK(end < 0 || last <= end);
        FUZZ_CHECK(last - first < GW_MEDIA_OPEN_RANGE || end >= 0);
        break;
    case GW_MEDIA_UNSATISFIABLE:
        FUZZ_CHECK(has && start >= size);
        break;
    default:
        FUZZ_CHECK(!"unknown gw_media_range_t");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int64_t sizes[] = {
        0, 1, 2, 1000, GW_MEDIA_OPEN_RANGE - 1, GW_MEDIA_OPEN_RANGE,
        GW_MEDIA_OPEN_RANGE + 1, INT64_C(1) << 40, INT64_MAX};
    char *h = malloc(size + 1);
    bool has;
    int64_t start, end, derived = 0;
    json_t *d = NULL;
    int rc;

    if (h == NULL)
        abort();
    memcpy(h, data, size);
    h[size] = '\0';
    rc = gw_valid_range(h, &has, &start, &end, &d);
    if (rc != 0) {
        FUZZ_CHECK(rc == OV_EINVAL && json_is_array(d) && !has);
        json_decref(d);
        free(h);
        return 0;
    }
    FUZZ_CHECK(d == NULL && has && start >= 0 && end >= -1);
    for (size_t i = 0; i < size; i++)
        derived = (int64_t)(((uint64_t)derived * 31 + data[i]) &
                            (uint64_t)INT64_MAX);
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
        check_range(has, start, end, sizes[i]);
    check_range(has, start, end, derived);
    check_range(has, start, end, start);
    if (start < INT64_MAX)
        check_range(has, start, end, start + 1);
    check_range(false, 0, -1, derived);
    free(h);
    return 0;
}
