/*
 * jwt_test: gw_jwt's HS256 signing and its strict verifier: round trips,
 * every way a token can be tampered with or malformed, the base64url
 * decoder's accepted spellings, and a token computed independently here
 * with OpenSSL's HMAC.
 */
#include "gw_jwt.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"

#define SECRET "secret"

static json_t *parse(const char *text)
{
    json_error_t err;
    json_t *v = json_loads(text, JSON_DECODE_ANY, &err);

    if (!v)
        TEST__FAIL("bad test JSON %s: %s", text, err.text);
    return v;
}

static char *sign_text(const char *claims_json, const char *secret)
{
    json_t *c = parse(claims_json);
    char *tok = gw_jwt_sign_hs256(c, secret);

    json_decref(c);
    ASSERT_NOT_NULL(tok);
    return tok;
}

/* Expects verification to fail with exactly `reason`. */
static void expect_reject(const char *tok, const char *secret,
                          const char *reason)
{
    json_t *claims = (json_t *)1;
    char why[128] = "";

    if (gw_jwt_verify_hs256(tok, secret, &claims, why, sizeof(why)) != -1)
        TEST__FAIL("token accepted: %.200s", tok ? tok : "(null)");
    ASSERT_NULL(claims);
    ASSERT_STR_EQ(why, reason);
}

/* Builds "<b64url(header)>.<b64url(claims)>.<b64url(HMAC)>" from raw
 * JSON texts, the way an attacker (or another library) would. */
static char *forge(const char *header, const char *claims, const char *secret)
{
    char *h = gw_b64url_encode(header, strlen(header));
    char *c = gw_b64url_encode(claims, strlen(claims));
    size_t n = strlen(h) + strlen(c) + 1;
    char *input = malloc(n + 1);
    unsigned char mac[32];
    unsigned int maclen = 0;
    char *s, *tok;

    ASSERT_NOT_NULL(input);
    snprintf(input, n + 1, "%s.%s", h, c);
    ASSERT_NOT_NULL(HMAC(EVP_sha256(), secret, (int)strlen(secret),
                         (const unsigned char *)input, n, mac, &maclen));
    s = gw_b64url_encode(mac, maclen);
    tok = malloc(n + strlen(s) + 2);
    ASSERT_NOT_NULL(tok);
    sprintf(tok, "%s.%s", input, s);
    free(h);
    free(c);
    free(s);
    free(input);
    return tok;
}

static void test_round_trip(void)
{
    char *tok = sign_text("{\"iss\":\"devkey\",\"n\":42,\"a\":[1,2]}", SECRET);
    json_t *claims = NULL;
    char why[64] = "";

    ASSERT_INT_EQ(gw_jwt_verify_hs256(tok, SECRET, &claims, why, sizeof(why)),
                  0);
    ASSERT(json_is_object(claims));
    ASSERT_STR_EQ(json_string_value(json_object_get(claims, "iss")), "devkey");
    ASSERT_INT_EQ(json_integer_value(json_object_get(claims, "n")), 42);
    ASSERT_INT_EQ(json_array_size(json_object_get(claims, "a")), 2);
    json_decref(claims);
    /* Compact JWS: three parts, no padding. */
    ASSERT_NULL(strchr(tok, '='));
    ASSERT(strchr(tok, '.') != strrchr(tok, '.'));
    free(tok);
}

static void test_known_vector(void)
{
    /* The header is fixed and the claims are written compactly with
     * sorted keys, so the whole token can be predicted. */
    const char *hdr = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
    const char *claims = "{\"exp\":1736500317,\"iss\":\"devkey\","
                         "\"nbf\":1736500017,\"sha256\":\"abc=\"}";
    char *expect = forge(hdr, claims, SECRET);
    char *tok = sign_text("{\"sha256\":\"abc=\",\"nbf\":1736500017,"
                          "\"iss\":\"devkey\",\"exp\":1736500317}",
                          SECRET);

    ASSERT_STR_EQ(tok, expect);
    /* The header part is the well-known one of every HS256 JWT. */
    ASSERT(strncmp(tok, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.", 37) == 0);
    free(tok);
    free(expect);

    /* RFC 4231 test case 2 pins the HMAC itself (key "Jefe"). */
    {
        const char *data = "what do ya want for nothing?";
        char *t = forge("{\"alg\":\"HS256\"}", "{}", "Jefe");
        unsigned char mac[32];
        unsigned int maclen = 0;
        static const unsigned char want[32] = {
            0x5b, 0xdc, 0xc1, 0x46, 0xbf, 0x60, 0x75, 0x4e, 0x6a, 0x04, 0x24,
            0x26, 0x08, 0x95, 0x75, 0xc7, 0x5a, 0x00, 0x3f, 0x08, 0x9d, 0x27,
            0x39, 0x83, 0x9d, 0xec, 0x58, 0xb9, 0x64, 0xec, 0x38, 0x43};
        json_t *c = NULL;
        char why[64];

        HMAC(EVP_sha256(), "Jefe", 4, (const unsigned char *)data, strlen(data),
             mac, &maclen);
        ASSERT_INT_EQ(maclen, 32);
        ASSERT_INT_EQ(memcmp(mac, want, 32), 0);
        /* A token from another signer verifies here too. */
        ASSERT_INT_EQ(gw_jwt_verify_hs256(t, "Jefe", &c, why, sizeof(why)), 0);
        ASSERT(json_is_object(c) && json_object_size(c) == 0);
        json_decref(c);
        free(t);
    }
}

static void test_wrong_secret(void)
{
    char *tok = sign_text("{\"iss\":\"k\"}", SECRET);

    expect_reject(tok, "secreT", "bad signature");
    expect_reject(tok, "secret2", "bad signature");
    expect_reject(tok, "", "no secret configured");
    free(tok);
}

/* Replaces part `idx` (0..2) of `tok` by `repl`; returns new. */
static char *replace_part(const char *tok, int idx, const char *repl)
{
    const char *d1 = strchr(tok, '.'), *d2 = strchr(d1 + 1, '.');
    size_t cap = strlen(tok) + strlen(repl) + 1;
    char *out = malloc(cap);

    ASSERT_NOT_NULL(out);
    if (idx == 0)
        snprintf(out, cap, "%s%s", repl, d1);
    else if (idx == 1)
        snprintf(out, cap, "%.*s.%s%s", (int)(d1 - tok), tok, repl, d2);
    else
        snprintf(out, cap, "%.*s.%s", (int)(d2 - tok), tok, repl);
    return out;
}

static void test_tampered(void)
{
    char *tok = sign_text("{\"iss\":\"devkey\",\"exp\":100}", SECRET);
    char *h, *c, *t;
    size_t n = strlen(tok);

    /* Claims changed (re-encoded, valid JSON) under the old signature. */
    c = gw_b64url_encode("{\"iss\":\"devkex\",\"exp\":100}", 26);
    t = replace_part(tok, 1, c);
    expect_reject(t, SECRET, "bad signature");
    free(t);
    free(c);

    /* Header changed: same algorithm, extra member. */
    h = gw_b64url_encode("{\"alg\":\"HS256\",\"typ\":\"JWS\"}", 27);
    t = replace_part(tok, 0, h);
    expect_reject(t, SECRET, "bad signature");
    free(t);
    free(h);

    /* Every single character of the signature flipped in turn. */
    {
        const char *sig = strrchr(tok, '.') + 1;
        size_t i, off = (size_t)(sig - tok);

        for (i = off; i < n; i++) {
            char *x = strdup(tok);

            ASSERT_NOT_NULL(x);
            x[i] = x[i] == 'A' ? 'B' : 'A';
            {
                json_t *claims = NULL;
                char why[64];

                ASSERT_INT_EQ(
                    gw_jwt_verify_hs256(x, SECRET, &claims, why, sizeof(why)),
                    -1);
            }
            free(x);
        }
    }
    /* Signature truncated by one character, or extended by one. */
    t = strdup(tok);
    ASSERT_NOT_NULL(t);
    t[n - 1] = '\0';
    {
        json_t *claims = NULL;
        char why[64];

        /* Depending on the dropped bits this is malformed or a mismatch. */
        ASSERT_INT_EQ(gw_jwt_verify_hs256(t, SECRET, &claims, why, sizeof(why)),
                      -1);
        ASSERT_NULL(claims);
    }
    free(t);
    t = malloc(n + 2);
    ASSERT_NOT_NULL(t);
    sprintf(t, "%sA", tok);
    expect_reject(t, SECRET, "bad signature");
    free(t);
    /* Signature of another token. */
    {
        char *other = sign_text("{\"iss\":\"devkey\",\"exp\":101}", SECRET);

        t = replace_part(tok, 2, strrchr(other, '.') + 1);
        expect_reject(t, SECRET, "bad signature");
        free(t);
        free(other);
    }
    /* Empty signature. */
    t = replace_part(tok, 2, "");
    expect_reject(t, SECRET, "malformed token");
    free(t);
    free(tok);
}

static void test_algorithms(void)
{
    const char *claims = "{\"iss\":\"devkey\"}";
    char *t;

    /* alg none with an empty signature, and with an HMAC. */
    {
        char *h = gw_b64url_encode("{\"alg\":\"none\"}", 14);
        char *c = gw_b64url_encode(claims, strlen(claims));
        char buf[256];

        snprintf(buf, sizeof(buf), "%s.%s.", h, c);
        expect_reject(buf, SECRET, "malformed token");
        snprintf(buf, sizeof(buf), "%s.%s.AAAA", h, c);
        expect_reject(buf, SECRET, "unsupported algorithm");
        free(h);
        free(c);
    }
    t = forge("{\"alg\":\"none\",\"typ\":\"JWT\"}", claims, SECRET);
    expect_reject(t, SECRET, "unsupported algorithm");
    free(t);
    t = forge("{\"alg\":\"HS512\",\"typ\":\"JWT\"}", claims, SECRET);
    expect_reject(t, SECRET, "unsupported algorithm");
    free(t);
    t = forge("{\"alg\":\"hs256\"}", claims, SECRET);
    expect_reject(t, SECRET, "unsupported algorithm");
    free(t);
    t = forge("{\"alg\":\"HS256 \"}", claims, SECRET);
    expect_reject(t, SECRET, "unsupported algorithm");
    free(t);
    t = forge("{\"typ\":\"JWT\"}", claims, SECRET);
    expect_reject(t, SECRET, "unsupported algorithm");
    free(t);
    t = forge("{\"alg\":[\"HS256\"]}", claims, SECRET);
    expect_reject(t, SECRET, "unsupported algorithm");
    free(t);
    t = forge("{\"alg\":\"HS256\",\"crit\":[\"b64\"],\"b64\":false}", claims,
              SECRET);
    expect_reject(t, SECRET, "unsupported algorithm");
    free(t);
    /* A correctly signed token whose header is not an object, or not JSON,
     * or repeats "alg". */
    t = forge("[\"HS256\"]", claims, SECRET);
    expect_reject(t, SECRET, "malformed token");
    free(t);
    t = forge("{\"alg\":\"HS256\"", claims, SECRET);
    expect_reject(t, SECRET, "malformed token");
    free(t);
    t = forge("{\"alg\":\"none\",\"alg\":\"HS256\"}", claims, SECRET);
    expect_reject(t, SECRET, "malformed token");
    free(t);
    /* Minimal valid header. */
    t = forge("{\"alg\":\"HS256\"}", claims, SECRET);
    {
        json_t *c = NULL;
        char why[64];

        ASSERT_INT_EQ(gw_jwt_verify_hs256(t, SECRET, &c, why, sizeof(why)), 0);
        json_decref(c);
    }
    free(t);
}

static void test_claims_not_object(void)
{
    const char *hdr = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
    const char *bad[] = {"[1,2]",
                         "\"iss\"",
                         "42",
                         "null",
                         "{\"a\":1",
                         "",
                         "{\"iss\":\"a\",\"iss\":\"b\"}"};
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char *t = forge(hdr, bad[i], SECRET);

        /* "" encodes to an empty part: malformed before any JSON. */
        expect_reject(t, SECRET, "malformed token");
        free(t);
    }
    /* The signer refuses non-object claims and an empty secret. */
    {
        json_t *a = parse("[1]"), *o = parse("{}");

        ASSERT_NULL(gw_jwt_sign_hs256(a, SECRET));
        ASSERT_NULL(gw_jwt_sign_hs256(o, ""));
        ASSERT_NULL(gw_jwt_sign_hs256(NULL, SECRET));
        json_decref(a);
        json_decref(o);
    }
}

static void test_parts(void)
{
    char *tok = sign_text("{\"iss\":\"k\"}", SECRET);
    const char *d2 = strrchr(tok, '.');
    char buf[1024];

    /* Two parts. */
    snprintf(buf, sizeof(buf), "%.*s", (int)(d2 - tok), tok);
    expect_reject(buf, SECRET, "malformed token");
    /* Four parts. */
    snprintf(buf, sizeof(buf), "%s.%s", tok, d2 + 1);
    expect_reject(buf, SECRET, "malformed token");
    snprintf(buf, sizeof(buf), "%s.", tok);
    expect_reject(buf, SECRET, "malformed token");
    snprintf(buf, sizeof(buf), ".%s", tok);
    expect_reject(buf, SECRET, "malformed token");
    /* One part, empty parts, nothing. */
    expect_reject("abc", SECRET, "malformed token");
    expect_reject("..", SECRET, "malformed token");
    expect_reject("a..b", SECRET, "malformed token");
    expect_reject("", SECRET, "token is empty");
    expect_reject(NULL, SECRET, "token is empty");
    free(tok);
}

static void test_bad_characters(void)
{
    char *tok = sign_text("{\"iss\":\"k\"}", SECRET);
    const char *bad = "+/= \t\n\"%*~!\x80\xff";
    size_t i, n = strlen(tok);

    /* A character outside the base64url alphabet, put in each part. */
    for (i = 0; bad[i]; i++) {
        size_t positions[3] = {3, (size_t)(strchr(tok, '.') - tok) + 3, n - 3};
        size_t k;

        for (k = 0; k < 3; k++) {
            char *x = strdup(tok);

            ASSERT_NOT_NULL(x);
            x[positions[k]] = bad[i];
            expect_reject(x, SECRET, "malformed token");
            free(x);
        }
    }
    /* Padding appended to a part: compact JWS never pads. */
    {
        char *h = gw_b64url_encode("{\"alg\":\"HS256\"}", 15);
        char *c = gw_b64url_encode("{}", 2);
        char *ok = forge("{\"alg\":\"HS256\"}", "{}", SECRET);
        char buf[512];

        /* "{}" is 2 bytes: "e30" unpadded, "e30=" padded. */
        ASSERT_STR_EQ(c, "e30");
        snprintf(buf, sizeof(buf), "%s.%s=.%s", h, c, strrchr(ok, '.') + 1);
        expect_reject(buf, SECRET, "malformed token");
        snprintf(buf, sizeof(buf), "%s=", ok);
        expect_reject(buf, SECRET, "malformed token");
        free(h);
        free(c);
        free(ok);
    }
    /* Standard-alphabet characters instead of url-safe ones. */
    {
        char *x = strdup(tok);
        char *p;

        ASSERT_NOT_NULL(x);
        for (p = x; *p; p++) {
            if (*p == '-')
                *p = '+';
            else if (*p == '_')
                *p = '/';
        }
        if (strcmp(x, tok) != 0)
            expect_reject(x, SECRET, "malformed token");
        free(x);
    }
    free(tok);
}

static void test_oversize(void)
{
    size_t big = 9000;
    char *pad = malloc(big + 1);
    char *claims = malloc(big + 64);
    char *tok;
    json_t *c;

    ASSERT_NOT_NULL(pad);
    ASSERT_NOT_NULL(claims);
    memset(pad, 'x', big);
    pad[big] = '\0';
    snprintf(claims, big + 64, "{\"pad\":\"%s\"}", pad);
    c = parse(claims);
    tok = gw_jwt_sign_hs256(c, SECRET);
    ASSERT_NOT_NULL(tok);
    ASSERT(strlen(tok) > 8192);
    expect_reject(tok, SECRET, "token too large");
    free(tok);
    json_decref(c);

    /* Just under the limit is fine: 8192 characters in total. */
    {
        size_t lo = 1000, hi = 8000;
        int found = 0;

        while (lo <= hi) {
            size_t mid = (lo + hi) / 2, len;

            pad[mid] = '\0';
            snprintf(claims, big + 64, "{\"pad\":\"%s\"}", pad);
            pad[mid] = 'x';
            c = parse(claims);
            tok = gw_jwt_sign_hs256(c, SECRET);
            json_decref(c);
            len = strlen(tok);
            if (len == 8192 || len == 8191 || len == 8190) {
                json_t *out = NULL;
                char why[64];

                ASSERT_INT_EQ(
                    gw_jwt_verify_hs256(tok, SECRET, &out, why, sizeof(why)),
                    0);
                json_decref(out);
                found = 1;
                free(tok);
                break;
            }
            free(tok);
            if (len < 8190)
                lo = mid + 1;
            else
                hi = mid - 1;
        }
        ASSERT(found);
    }
    free(pad);
    free(claims);
}

static void check_decode(const char *in, const char *want, size_t wantlen)
{
    size_t n = 12345;
    unsigned char *out = gw_b64url_decode(in, strlen(in), &n);

    if (!want) {
        if (out)
            TEST__FAIL("\"%s\" decoded", in);
        return;
    }
    if (!out)
        TEST__FAIL("\"%s\" not decoded", in);
    ASSERT_UINT_EQ(n, wantlen);
    ASSERT_INT_EQ(memcmp(out, want, wantlen), 0);
    ASSERT_INT_EQ(out[n], 0);
    free(out);
}

static void test_b64url(void)
{
    const unsigned char all[] = {0xfb, 0xff, 0xbf, 0x00, 0x3e, 0x3f};
    char *s;

    /* RFC 4648 §10 vectors, unpadded and padded. */
    check_decode("", "", 0);
    check_decode("Zg", "f", 1);
    check_decode("Zg==", "f", 1);
    check_decode("Zm8", "fo", 2);
    check_decode("Zm8=", "fo", 2);
    check_decode("Zm9v", "foo", 3);
    check_decode("Zm9vYg", "foob", 4);
    check_decode("Zm9vYmE", "fooba", 5);
    check_decode("Zm9vYmE=", "fooba", 5);
    check_decode("Zm9vYmFy", "foobar", 6);
    /* Wrong padding. */
    check_decode("Zg=", NULL, 0);
    check_decode("Zg===", NULL, 0);
    check_decode("Zm8==", NULL, 0);
    check_decode("Zm9v=", NULL, 0);
    check_decode("Zm9v====", NULL, 0);
    check_decode("=", NULL, 0);
    check_decode("==", NULL, 0);
    check_decode("Z=g=", NULL, 0);
    check_decode("Zg==Zg==", NULL, 0);
    /* A lone trailing character, and non-zero leftover bits. */
    check_decode("Z", NULL, 0);
    check_decode("Zm9vY", NULL, 0);
    check_decode("Zh", NULL, 0);
    check_decode("Zm9", NULL, 0);
    /* Alphabet. */
    check_decode("Zm9+", NULL, 0);
    check_decode("Zm9/", NULL, 0);
    check_decode("Zm 9", NULL, 0);
    check_decode("-_-_", "\xfb\xff\xbf", 3);

    s = gw_b64url_encode(all, sizeof(all));
    ASSERT_STR_EQ(s, "-_-_AD4_");
    check_decode(s, (const char *)all, sizeof(all));
    free(s);
    s = gw_b64url_encode("", 0);
    ASSERT_STR_EQ(s, "");
    free(s);
    s = gw_b64url_encode("f", 1);
    ASSERT_STR_EQ(s, "Zg");
    free(s);
    s = gw_b64url_encode("fo", 2);
    ASSERT_STR_EQ(s, "Zm8");
    free(s);

    /* Standard base64 keeps its padding and alphabet. */
    s = gw_b64_encode("f", 1);
    ASSERT_STR_EQ(s, "Zg==");
    free(s);
    s = gw_b64_encode("foobar", 6);
    ASSERT_STR_EQ(s, "Zm9vYmFy");
    free(s);
    s = gw_b64_encode(all, sizeof(all));
    ASSERT_STR_EQ(s, "+/+/AD4/");
    free(s);
    s = gw_b64_encode("", 0);
    ASSERT_STR_EQ(s, "");
    free(s);

    /* Every length round-trips through encode and decode. */
    {
        unsigned char buf[64];
        size_t len, i;

        for (i = 0; i < sizeof(buf); i++)
            buf[i] = (unsigned char)(i * 37 + 11);
        for (len = 0; len <= sizeof(buf); len++) {
            char *e = gw_b64url_encode(buf, len);

            check_decode(e, (const char *)buf, len);
            free(e);
        }
    }
}

static void test_why_optional(void)
{
    json_t *c = NULL;

    /* A NULL or zero-length reason buffer is allowed. */
    ASSERT_INT_EQ(gw_jwt_verify_hs256("a.b", SECRET, &c, NULL, 0), -1);
    ASSERT_NULL(c);
    {
        char why[8] = "x";

        ASSERT_INT_EQ(gw_jwt_verify_hs256("a.b", SECRET, &c, why, 0), -1);
        ASSERT_STR_EQ(why, "x");
        ASSERT_INT_EQ(gw_jwt_verify_hs256("a.b", SECRET, &c, why, 4), -1);
        ASSERT_STR_EQ(why, "mal");
    }
}

int main(void)
{
    TEST_RUN(test_round_trip);
    TEST_RUN(test_known_vector);
    TEST_RUN(test_wrong_secret);
    TEST_RUN(test_tampered);
    TEST_RUN(test_algorithms);
    TEST_RUN(test_claims_not_object);
    TEST_RUN(test_parts);
    TEST_RUN(test_bad_characters);
    TEST_RUN(test_oversize);
    TEST_RUN(test_b64url);
    TEST_RUN(test_why_optional);
    return 0;
}
