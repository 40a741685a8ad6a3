/*
 * fuzz_egress.h: the egress-mapping check the LiveKit fuzz targets share
 * (fuzz_livekit, fuzz_lkapi). Include after fuzz.h.
 */
#ifndef FUZZ_EGRESS_H
#define FUZZ_EGRESS_H

#include <jansson.h>
#include <string.h>

#include "gw_egress.h"
#include "gw_livekit.h"

/* Maps `info`, if it is an object, as an EgressInfo for every event kind
 * (and a non-egress one): a mapping that succeeds names its recording. */
static inline void fuzz_map_info(const json_t *info)
{
    static const int kinds[] = {GW_LK_EGRESS_STARTED, GW_LK_EGRESS_UPDATED,
                                GW_LK_EGRESS_ENDED, GW_LK_OTHER};

    if (!json_is_object(info))
        return;
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        uint32_t kind = 0;
        ipc_rec_t rec;
        char *scratch = NULL;
        memset(&rec, 0, sizeof(rec));
        if (gw_egress_map_info(info, kinds[i], &kind, &rec, &scratch) == 0)
            FUZZ_CHECK(rec.recording_id.ptr != NULL);
        free(scratch);
    }
}

#endif
