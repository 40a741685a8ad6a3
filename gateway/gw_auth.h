/*
 * gw_auth: the X-API-KEY check of the public API (BEHAVIOUR.md §2).
 *
 * The gateway keeps the one stored API key in memory (loaded from the
 * system shard at start) and compares it in constant time.
 */
#ifndef GW_AUTH_H
#define GW_AUTH_H

/** Checks the value of the X-API-KEY header (NULL if absent) against the
 *  stored key (NULL or "" if none is stored). Returns 0 when accepted,
 *  OV_EUNAUTH when no key was sent (absent or empty), OV_ENOKEYS when none
 *  is stored, OV_EBADKEY when it differs. */
int gw_auth_check_api_key(const char *stored_key, const char *header_value);

/** Returns a new API key "ovmeet-" + 32 lowercase hex characters in `out`
 *  (at least 40 bytes). Returns 0 or -1 if the CSPRNG failed. */
int gw_auth_generate_key(char *out, unsigned long outlen);

#endif
