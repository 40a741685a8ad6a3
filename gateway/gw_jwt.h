/*
 * gw_jwt: compact JWS tokens signed with HMAC-SHA256 (HS256), as LiveKit
 * uses them to sign webhooks and to authorise server API calls.
 */
#ifndef GW_JWT_H
#define GW_JWT_H

#include <jansson.h>
#include <stddef.h>

/** Returns a new token "<header>.<claims>.<signature>" (base64url, no
 *  padding) with header {"alg":"HS256","typ":"JWT"} and `claims` (borrowed)
 *  serialised compactly. Free with free(). */
char *gw_jwt_sign_hs256(const json_t *claims, const char *secret);

/** Verifies `token` against `secret`: three base64url parts, a header with
 *  alg HS256, a valid signature (compared in constant time) and a claims
 *  object. Returns 0 and *claims (new reference), or -1 with a short
 *  reason in `why`. Time claims are not checked here. */
int gw_jwt_verify_hs256(const char *token, const char *secret, json_t **claims,
                        char *why, size_t whylen);

/** base64url without padding of `n` bytes; returns new, free with free(). */
char *gw_b64url_encode(const void *p, size_t n);
/** Decodes unpadded (or padded) base64url; returns new bytes (NUL added,
 *  not counted) and their length, or NULL if `s` is not base64url. */
unsigned char *gw_b64url_decode(const char *s, size_t len, size_t *outlen);
/** Standard base64 with padding of `n` bytes; returns new. */
char *gw_b64_encode(const void *p, size_t n);

#endif
