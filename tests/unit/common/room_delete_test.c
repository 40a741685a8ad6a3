/* Every row of the room deletion matrix (BEHAVIOUR.md §6.5). */
#include <stdio.h>
#include <string.h>

#include "ov_room_delete.h"
#include "test.h"

#define F OV_POLICY_FORCE
#define W OV_POLICY_WHEN_MEETING_ENDS
#define C OV_POLICY_CLOSE
#define X OV_POLICY_FAIL

typedef struct {
    bool meeting, recordings;
    ov_room_policy_t wm, wr;
    const char *code;
    int http;
    const char *message;
    bool room;
} row_t;

static const row_t matrix[] = {
    {false, false, X, X, "room_deleted", 200, " deleted successfully", false},
    {false, false, F, F, "room_deleted", 200, " deleted successfully", false},
    {false, false, W, C, "room_deleted", 200, " deleted successfully", false},
    {true, false, X, X, "room_has_active_meeting", 409,
     " cannot be deleted because it has an active meeting.", false},
    {true, false, X, F, "room_has_active_meeting", 409,
     " cannot be deleted because it has an active meeting.", false},
    {true, false, F, X, "room_with_active_meeting_deleted", 200,
     " with active meeting deleted successfully", false},
    {true, false, W, C, "room_with_active_meeting_scheduled_to_be_deleted", 202,
     " with active meeting scheduled to be deleted when the meeting ends",
     true},
    {false, true, F, X, "room_has_recordings", 409,
     " cannot be deleted because it has recordings.", false},
    {false, true, X, F, "room_and_recordings_deleted", 200,
     " and its recordings deleted successfully", false},
    {false, true, W, C, "room_closed", 200,
     " has been closed instead of deleted because it has recordings", true},
    {true, true, X, F, "room_with_recordings_has_active_meeting", 409,
     " with recordings cannot be deleted because it has an active meeting.",
     false},
    {true, true, F, X, "room_with_active_meeting_has_recordings", 409,
     " with active meeting cannot be deleted because it has recordings.",
     false},
    {true, true, W, X,
     "room_with_active_meeting_has_recordings_cannot_schedule_deletion", 409,
     " with active meeting cannot be scheduled to be deleted because it has "
     "recordings.",
     false},
    {true, true, F, F, "room_with_active_meeting_and_recordings_deleted", 200,
     " with active meeting and its recordings deleted successfully", false},
    {true, true, F, C, "room_with_active_meeting_closed", 200,
     " with active meeting has been closed instead of deleted because it has "
     "recordings",
     true},
    {true, true, W, F,
     "room_with_active_meeting_and_recordings_scheduled_to_be_deleted", 202,
     " with active meeting and its recordings scheduled to be deleted when "
     "the meeting ends",
     true},
    {true, true, W, C, "room_with_active_meeting_scheduled_to_be_closed", 202,
     " with active meeting scheduled to be closed when the meeting ends "
     "because it has recordings",
     true},
};

static void test_matrix(void)
{
    for (size_t i = 0; i < sizeof(matrix) / sizeof(matrix[0]); i++) {
        const row_t *r = &matrix[i];
        unsigned o = ov_room_delete_decide(r->meeting, r->recordings, r->wm,
                                           r->wr);
        ASSERT_STR_EQ(ov_room_del_code(o), r->code);
        ASSERT_INT_EQ(ov_room_del_http_status(o), r->http);
        ASSERT_STR_EQ(ov_room_del_message(o), r->message);
        ASSERT_INT_EQ(ov_room_del_includes_room(o), r->room);
    }
}

static void test_effects(void)
{
    ASSERT_UINT_EQ(ov_room_del_effects(OV_ROOM_DEL_DELETED),
                   OV_DEL_FX_DELETE_ROOM);
    ASSERT_UINT_EQ(ov_room_del_effects(OV_ROOM_DEL_CLOSED), OV_DEL_FX_CLOSE);
    ASSERT_UINT_EQ(ov_room_del_effects(OV_ROOM_DEL_HAS_RECORDINGS), 0);
    ASSERT(ov_room_del_effects(OV_ROOM_DEL_WITH_ACTIVE_MEETING_DELETED) &
           OV_DEL_FX_END_MEETING);
    ASSERT(!(ov_room_del_effects(
                 OV_ROOM_DEL_WITH_ACTIVE_MEETING_SCHEDULED_TO_BE_CLOSED) &
             OV_DEL_FX_END_MEETING));
    /* Exactly the three scheduled outcomes are 202. */
    int n202 = 0;
    for (unsigned o = 0; o < OV_ROOM_DEL__COUNT; o++)
        n202 += ov_room_del_http_status(o) == 202;
    ASSERT_INT_EQ(n202, 3);
    ASSERT_NULL(ov_room_del_code(OV_ROOM_DEL__COUNT));
}

static void test_policy_parse(void)
{
    ov_room_policy_t p;
    ASSERT_INT_EQ(ov_room_policy_parse("force", &p), 0);
    ASSERT_INT_EQ(p, OV_POLICY_FORCE);
    ASSERT_INT_EQ(ov_room_policy_parse("when_meeting_ends", &p), 0);
    ASSERT_INT_EQ(p, OV_POLICY_WHEN_MEETING_ENDS);
    ASSERT_INT_EQ(ov_room_policy_parse("Force", &p), -1);
}

int main(void)
{
    TEST_RUN(test_matrix);
    TEST_RUN(test_effects);
    TEST_RUN(test_policy_parse);
    return 0;
}
