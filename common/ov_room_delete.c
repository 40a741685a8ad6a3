/* ov_room_delete: see ov_room_delete.h. */
#include "ov_room_delete.h"

#include <string.h>

typedef struct {
    const char *code;
    int http;
    const char *message;
    bool room;
    unsigned fx;
} del_row_t;

static const del_row_t rows[] = {
#define OV__DEL_ROW(sym, code, http, msg, room, fx) {code, http, msg, room, fx},
    OV_ROOM_DEL_MAP(OV__DEL_ROW)
#undef OV__DEL_ROW
};

int ov_room_policy_parse(const char *s, ov_room_policy_t *out)
{
    static const struct {
        const char *name;
        ov_room_policy_t p;
    } names[] = {{"force", OV_POLICY_FORCE},
                 {"when_meeting_ends", OV_POLICY_WHEN_MEETING_ENDS},
                 {"close", OV_POLICY_CLOSE},
                 {"fail", OV_POLICY_FAIL}};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(s, names[i].name) == 0) {
            *out = names[i].p;
            return 0;
        }
    }
    return -1;
}

ov_room_del_outcome_t ov_room_delete_decide(bool has_meeting,
                                            bool has_recordings,
                                            ov_room_policy_t wm,
                                            ov_room_policy_t wr)
{
    if (!has_meeting && !has_recordings)
        return OV_ROOM_DEL_DELETED;
    if (!has_recordings) {
        if (wm == OV_POLICY_FORCE)
            return OV_ROOM_DEL_WITH_ACTIVE_MEETING_DELETED;
        if (wm == OV_POLICY_WHEN_MEETING_ENDS)
            return OV_ROOM_DEL_WITH_ACTIVE_MEETING_SCHEDULED_TO_BE_DELETED;
        return OV_ROOM_DEL_HAS_ACTIVE_MEETING;
    }
    if (!has_meeting) {
        if (wr == OV_POLICY_FORCE)
            return OV_ROOM_DEL_AND_RECORDINGS_DELETED;
        if (wr == OV_POLICY_CLOSE)
            return OV_ROOM_DEL_CLOSED;
        return OV_ROOM_DEL_HAS_RECORDINGS;
    }
    /* An active meeting and recordings. */
    if (wm == OV_POLICY_FORCE) {
        if (wr == OV_POLICY_FORCE)
            return OV_ROOM_DEL_WITH_ACTIVE_MEETING_AND_RECORDINGS_DELETED;
        if (wr == OV_POLICY_CLOSE)
            return OV_ROOM_DEL_WITH_ACTIVE_MEETING_CLOSED;
        return OV_ROOM_DEL_WITH_ACTIVE_MEETING_HAS_RECORDINGS;
    }
    if (wm == OV_POLICY_WHEN_MEETING_ENDS) {
        if (wr == OV_POLICY_FORCE)
            return OV_ROOM_DEL_WITH_ACTIVE_MEETING_AND_RECORDINGS_SCHEDULED_TO_BE_DELETED;
        if (wr == OV_POLICY_CLOSE)
            return OV_ROOM_DEL_WITH_ACTIVE_MEETING_SCHEDULED_TO_BE_CLOSED;
        return OV_ROOM_DEL_WITH_ACTIVE_MEETING_HAS_RECORDINGS_CANNOT_SCHEDULE_DELETION;
    }
    return OV_ROOM_DEL_WITH_RECORDINGS_HAS_ACTIVE_MEETING;
}

const char *ov_room_del_code(unsigned o)
{
    return o < OV_ROOM_DEL__COUNT ? rows[o].code : NULL;
}

const char *ov_room_del_message(unsigned o)
{
    return o < OV_ROOM_DEL__COUNT ? rows[o].message : NULL;
}

int ov_room_del_http_status(unsigned o)
{
    return o < OV_ROOM_DEL__COUNT ? rows[o].http : 0;
}

bool ov_room_del_includes_room(unsigned o)
{
    return o < OV_ROOM_DEL__COUNT && rows[o].room;
}

unsigned ov_room_del_effects(unsigned o)
{
    return o < OV_ROOM_DEL__COUNT ? rows[o].fx : 0;
}
