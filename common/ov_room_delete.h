/*
 * ov_room_delete: the room deletion matrix of BEHAVIOUR.md §6.5, as one
 * decision over (has an active meeting, has recordings, withMeeting,
 * withRecordings).
 *
 * Each outcome is one row of OV_ROOM_DEL_MAP: its successCode or error code,
 * its HTTP status, its message after "Room '<id>'", whether the reply
 * carries the room, and what the worker does to the room. Workers apply the
 * effects; the gateway turns the outcome into the reply.
 */
#ifndef OV_ROOM_DELETE_H
#define OV_ROOM_DELETE_H

#include <stdbool.h>

/* Effects, applied by the worker in this order. */
#define OV_DEL_FX_NONE 0u
#define OV_DEL_FX_DELETE_RECORDINGS 1u /* delete every recording (+ media) */
#define OV_DEL_FX_DELETE_ROOM 2u       /* delete the room now */
#define OV_DEL_FX_CLOSE 4u             /* status = closed now */
#define OV_DEL_FX_END_ACTION_DELETE 8u /* meetingEndAction = delete */
#define OV_DEL_FX_END_ACTION_CLOSE 16u /* meetingEndAction = close */
#define OV_DEL_FX_END_MEETING 32u      /* end the meeting now, which then
                                          applies the end action */

/* XX(SYM, code, http, message after "Room '<id>'", includes room, effects) */
#define OV_ROOM_DEL_MAP(XX)                                                    \
    XX(DELETED, "room_deleted", 200, " deleted successfully", false,           \
       OV_DEL_FX_DELETE_ROOM)                                                  \
    XX(HAS_ACTIVE_MEETING, "room_has_active_meeting", 409,                     \
       " cannot be deleted because it has an active meeting.", false,          \
       OV_DEL_FX_NONE)                                                         \
    XX(WITH_ACTIVE_MEETING_DELETED, "room_with_active_meeting_deleted", 200,   \
       " with active meeting deleted successfully", false,                     \
       OV_DEL_FX_END_ACTION_DELETE | OV_DEL_FX_END_MEETING)                    \
    XX(WITH_ACTIVE_MEETING_SCHEDULED_TO_BE_DELETED,                            \
       "room_with_active_meeting_scheduled_to_be_deleted", 202,                \
       " with active meeting scheduled to be deleted when the meeting ends",   \
       true, OV_DEL_FX_END_ACTION_DELETE)                                      \
    XX(HAS_RECORDINGS, "room_has_recordings", 409,                             \
       " cannot be deleted because it has recordings.", false, OV_DEL_FX_NONE) \
    XX(AND_RECORDINGS_DELETED, "room_and_recordings_deleted", 200,             \
       " and its recordings deleted successfully", false,                      \
       OV_DEL_FX_DELETE_RECORDINGS | OV_DEL_FX_DELETE_ROOM)                    \
    XX(CLOSED, "room_closed", 200,                                             \
       " has been closed instead of deleted because it has recordings", true,  \
       OV_DEL_FX_CLOSE)                                                        \
    XX(WITH_RECORDINGS_HAS_ACTIVE_MEETING,                                     \
       "room_with_recordings_has_active_meeting", 409,                         \
       " with recordings cannot be deleted because it has an active "          \
       "meeting.",                                                             \
       false, OV_DEL_FX_NONE)                                                  \
    XX(WITH_ACTIVE_MEETING_HAS_RECORDINGS,                                     \
       "room_with_active_meeting_has_recordings", 409,                         \
       " with active meeting cannot be deleted because it has recordings.",    \
       false, OV_DEL_FX_NONE)                                                  \
    XX(WITH_ACTIVE_MEETING_HAS_RECORDINGS_CANNOT_SCHEDULE_DELETION,            \
       "room_with_active_meeting_has_recordings_cannot_schedule_deletion",     \
       409,                                                                    \
       " with active meeting cannot be scheduled to be deleted because it "    \
       "has recordings.",                                                      \
       false, OV_DEL_FX_NONE)                                                  \
    XX(WITH_ACTIVE_MEETING_AND_RECORDINGS_DELETED,                             \
       "room_with_active_meeting_and_recordings_deleted", 200,                 \
       " with active meeting and its recordings deleted successfully", false,  \
       OV_DEL_FX_END_ACTION_DELETE | OV_DEL_FX_END_MEETING)                    \
    XX(WITH_ACTIVE_MEETING_CLOSED, "room_with_active_meeting_closed", 200,     \
       " with active meeting has been closed instead of deleted because it "   \
       "has recordings",                                                       \
       true, OV_DEL_FX_END_ACTION_CLOSE | OV_DEL_FX_END_MEETING)               \
    XX(WITH_ACTIVE_MEETING_AND_RECORDINGS_SCHEDULED_TO_BE_DELETED,             \
       "room_with_active_meeting_and_recordings_scheduled_to_be_deleted", 202, \
       " with active meeting and its recordings scheduled to be deleted when " \
       "the meeting ends",                                                     \
       true, OV_DEL_FX_END_ACTION_DELETE)                                      \
    XX(WITH_ACTIVE_MEETING_SCHEDULED_TO_BE_CLOSED,                             \
       "room_with_active_meeting_scheduled_to_be_closed", 202,                 \
       " with active meeting scheduled to be closed when the meeting ends "    \
       "because it has recordings",                                            \
       true, OV_DEL_FX_END_ACTION_CLOSE)

typedef enum {
#define OV__DEL_ENUM(sym, code, http, msg, room, fx) OV_ROOM_DEL_##sym,
    OV_ROOM_DEL_MAP(OV__DEL_ENUM)
#undef OV__DEL_ENUM
        OV_ROOM_DEL__COUNT
} ov_room_del_outcome_t;

typedef enum {
    OV_POLICY_FORCE = 0,
    OV_POLICY_WHEN_MEETING_ENDS = 1, /* withMeeting only */
    OV_POLICY_CLOSE = 2,             /* withRecordings only */
    OV_POLICY_FAIL = 3,
} ov_room_policy_t;

/** Parses a policy name ("force", "when_meeting_ends", "close", "fail").
 *  Returns 0, or -1 for any other string. */
int ov_room_policy_parse(const char *s, ov_room_policy_t *out);

/** The decision of §6.5. */
ov_room_del_outcome_t ov_room_delete_decide(bool has_meeting,
                                            bool has_recordings,
                                            ov_room_policy_t with_meeting,
                                            ov_room_policy_t with_recordings);

/** Row data of an outcome (static strings; NULL/0 for an invalid one). */
const char *ov_room_del_code(unsigned outcome);
const char *ov_room_del_message(unsigned outcome); /* after "Room '<id>'" */
int ov_room_del_http_status(unsigned outcome);
bool ov_room_del_includes_room(unsigned outcome);
unsigned ov_room_del_effects(unsigned outcome);

#endif
