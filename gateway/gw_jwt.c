/*
 * gw_jwt: HS256 compact JWS, strict on input.
 *
 * A token reaching gw_jwt_verify_hs256 comes from the network, so every step
 * assumes a hostile sender: the size is bounded before anything is decoded,
 * base64url is decoded by hand with one canonical spelling per byte string
 * (no padding inside a token, no stray bits), the header must name HS256
 * exactly, and the signature is checked in constant time before the claims
 * are even parsed.
 */
#include "gw_jwt.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ov_mem.h"

/* LiveKit's tokens are a few hundred bytes; 8 KiB leaves room for large
 * claim sets while bounding the work an attacker can cause. */
#define GW_JWT_MAX_LEN 8192

/* The one header we write, as go-jose writes it. */
static const char gw_jwt_header[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";

static const char gw_b64url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

char *gw_b64url_encode(const void *p, size_t n)
{
    const unsigned char *in = p;
    char *out = ov_xmalloc(n / 3 * 4 + 5);
    size_t i, o = 0;

    for (i = 0; i + 3 <= n; i += 3) {
        unsigned long v = (unsigned long)in[i] << 16 |
                          (unsigned long)in[i + 1] << 8 | in[i + 2];

        out[o++] = gw_b64url_alphabet[v >> 18 & 63];
        out[o++] = gw_b64url_alphabet[v >> 12 & 63];
        out[o++] = gw_b64url_alphabet[v >> 6 & 63];
        out[o++] = gw_b64url_alphabet[v & 63];
    }
    if (n - i == 1) {
        unsigned long v = (unsigned long)in[i] << 16;

        out[o++] = gw_b64url_alphabet[v >> 18 & 63];
        out[o++] = gw_b64url_alphabet[v >> 12 & 63];
    } else if (n - i == 2) {
        unsigned long v = (unsigned long)in[i] << 16 | (unsigned long)in[i + 1]
                                                           << 8;

        out[o++] = gw_b64url_alphabet[v >> 18 & 63];
        out[o++] = gw_b64url_alphabet[v >> 12 & 63];
        out[o++] = gw_b64url_alphabet[v >> 6 & 63];
    }
    out[o] = '\0';
    return out;
}

static int gw_b64url_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-')
        return 62;
    if (c == '_')
        return 63;
    return -1;
}

unsigned char *gw_b64url_decode(const char *s, size_t len, size_t *outlen)
{
    unsigned char *out;
    unsigned long acc = 0;
    size_t i, o = 0, pad = 0;
    int bits = 0;

    /* Padding, when present, must complete the last quantum exactly:
     * "QQ==" and "QUI=" are accepted, "QQ=" and "QUI==" are not. */
    while (pad < len && s[len - 1 - pad] == '=')
        pad++;
    if (pad > 0) {
        if (pad > 2 || len % 4 != 0)
            return NULL;
        len -= pad;
        if ((len % 4 == 2 && pad != 2) || (len % 4 == 3 && pad != 1) ||
            len % 4 == 0)
            return NULL;
    }
    /* One leftover character carries only 6 bits: never a whole byte. */
    if (len % 4 == 1)
        return NULL;
    out = ov_xmalloc(len / 4 * 3 + 3);
    for (i = 0; i < len; i++) {
        int v = gw_b64url_value((unsigned char)s[i]);

        if (v < 0) {
            free(out);
            return NULL;
        }
        acc = (acc << 6 | (unsigned long)v) & 0xffffff;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)(acc >> bits & 0xff);
        }
    }
    /* The bits left over after the last byte must be zero, otherwise
     * several spellings would decode to the same bytes (a signature could
     * then be altered without invalidating it). */
    if (bits > 0 && (acc & ((1ul << bits) - 1)) != 0) {
        free(out);
        return NULL;
    }
    out[o] = '\0';
    *outlen = o;
    return out;
}

char *gw_b64_encode(const void *p, size_t n)
{
    char *out = ov_xmalloc((n + 2) / 3 * 4 + 1);

    EVP_EncodeBlock((unsigned char *)out, p, (int)n);
    return out;
}

/* HMAC-SHA256 of `n` bytes at `p` into `mac`. Returns 0 or -1. */
static int gw_jwt_hmac(const char *secret, const char *p, size_t n,
                       unsigned char mac[32])
{
    unsigned int maclen = 0;

    if (!HMAC(EVP_sha256(), secret, (int)strlen(secret),
              (const unsigned char *)p, n, mac, &maclen) ||
        maclen != 32)
        return -1;
    return 0;
}

char *gw_jwt_sign_hs256(const json_t *claims, const char *secret)
{
    unsigned char mac[32];
    char *payload, *h, *c, *sig, *tok;
    size_t n;

    if (!json_is_object(claims) || !secret || !*secret)
        return NULL;
    /* Sorted keys, as Go marshals its claim map: the same claims always
     * give the same token. */
    payload = json_dumps(claims, JSON_COMPACT | JSON_SORT_KEYS);
    if (!payload)
        return NULL;
    h = gw_b64url_encode(gw_jwt_header, sizeof(gw_jwt_header) - 1);
    c = gw_b64url_encode(payload, strlen(payload));
    free(payload);
    n = strlen(h) + 1 + strlen(c);
    tok = ov_xmalloc(n + 1 + 44);
    snprintf(tok, n + 1, "%s.%s", h, c);
    free(h);
    free(c);
    if (gw_jwt_hmac(secret, tok, n, mac) != 0) {
        free(tok);
        return NULL;
    }
    sig = gw_b64url_encode(mac, sizeof(mac));
    tok[n] = '.';
    memcpy(tok + n + 1, sig, strlen(sig) + 1);
    free(sig);
    return tok;
}

static int gw_jwt_fail(char *why, size_t whylen, const char *reason)
{
    if (why && whylen > 0)
        snprintf(why, whylen, "%s", reason);
    return -1;
}

/* Decodes one base64url part into a JSON object. Returns a new reference
 * or NULL. Duplicate keys are refused: two parsers could otherwise
 * disagree on which value counts. */
static json_t *gw_jwt_decode_object(const char *s, size_t len)
{
    unsigned char *raw;
    size_t n;
    json_t *v;
    json_error_t err;

    raw = gw_b64url_decode(s, len, &n);
    if (!raw)
        return NULL;
    v = json_loadb((const char *)raw, n, JSON_REJECT_DUPLICATES, &err);
    free(raw);
    if (v && !json_is_object(v)) {
        json_decref(v);
        return NULL;
    }
    return v;
}

int gw_jwt_verify_hs256(const char *token, const char *secret, json_t **claims,
                        char *why, size_t whylen)
{
    const char *dot1, *dot2;
    size_t len, i;
    unsigned char mac[32];
    unsigned char *sig;
    size_t siglen;
    json_t *hdr, *alg, *c;
    int ok;

    *claims = NULL;
    if (!token || !*token)
        return gw_jwt_fail(why, whylen, "token is empty");
    if (!secret || !*secret)
        return gw_jwt_fail(why, whylen, "no secret configured");
    len = strnlen(token, GW_JWT_MAX_LEN + 1);
    if (len > GW_JWT_MAX_LEN)
        return gw_jwt_fail(why, whylen, "token too large");

    /* Exactly three non-empty parts of the base64url alphabet. Compact JWS
     * never pads, so '=' is refused along with everything else; checking
     * the whole token first gives one answer for a bad character wherever
     * it is (the signature check would otherwise see it first). */
    dot1 = memchr(token, '.', len);
    dot2 =
        dot1 ? memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - token)) : NULL;
    if (!dot1 || !dot2 ||
        memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - token)))
        return gw_jwt_fail(why, whylen, "malformed token");
    if (dot1 == token || dot2 == dot1 + 1 || dot2 + 1 == token + len)
        return gw_jwt_fail(why, whylen, "malformed token");
    for (i = 0; i < len; i++)
        if (token[i] != '.' && gw_b64url_value((unsigned char)token[i]) < 0)
            return gw_jwt_fail(why, whylen, "malformed token");

    hdr = gw_jwt_decode_object(token, (size_t)(dot1 - token));
    if (!hdr)
        return gw_jwt_fail(why, whylen, "malformed token");
    alg = json_object_get(hdr, "alg");
    /* Only HS256: "none" and every other algorithm are refused, whatever
     * the signature says. A critical extension we cannot know is refused
     * too (RFC 7515 §4.1.11). */
    ok = json_is_string(alg) && strcmp(json_string_value(alg), "HS256") == 0 &&
         json_string_length(alg) == 5 && !json_object_get(hdr, "crit");
    json_decref(hdr);
    if (!ok)
        return gw_jwt_fail(why, whylen, "unsupported algorithm");

    sig = gw_b64url_decode(dot2 + 1, len - (size_t)(dot2 + 1 - token), &siglen);
    if (!sig)
        return gw_jwt_fail(why, whylen, "malformed token");
    if (gw_jwt_hmac(secret, token, (size_t)(dot2 - token), mac) != 0) {
        free(sig);
        return gw_jwt_fail(why, whylen, "signature check failed");
    }
    ok = siglen == sizeof(mac) && CRYPTO_memcmp(sig, mac, sizeof(mac)) == 0;
    free(sig);
    OPENSSL_cleanse(mac, sizeof(mac));
    if (!ok)
        return gw_jwt_fail(why, whylen, "bad signature");

    c = gw_jwt_decode_object(dot1 + 1, (size_t)(dot2 - dot1 - 1));
    if (!c)
        return gw_jwt_fail(why, whylen, "malformed token");
    *claims = c;
    return 0;
}
