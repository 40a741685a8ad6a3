/* Unit tests of gw_config (environment, flags, validation) and gw_auth. */
#include <stdio.h>
#include <string.h>

#include "gw_auth.h"
#include "gw_config.h"
#include "ov_err.h"
#include "test.h"

static int load(gw_config_t *cfg, char **argv, int argc, char **env,
                char *err, size_t errlen)
{
    gw_config_action_t action;
    return gw_config_load(cfg, argc, argv, env, &action, err, errlen);
}

static void test_defaults(void)
{
    gw_config_t cfg;
    char err[256];
    char *argv[] = {"meetd"};
    ASSERT_INT_EQ(load(&cfg, argv, 1, NULL, err, sizeof(err)), 0);
    ASSERT_INT_EQ(cfg.port, 6080);
    ASSERT_STR_EQ(cfg.base_path, "/meet/");
    ASSERT_STR_EQ(cfg.data_dir, "./data");
    ASSERT_INT_EQ(cfg.max_body_size, 1024 * 1024);
    ASSERT_STR_EQ(cfg.livekit_api_key, "devkey");
    ASSERT_STR_EQ(cfg.livekit_api_secret, "secret");
    gw_config_free(&cfg);
}

static void test_env_and_flags(void)
{
    gw_config_t cfg;
    char err[256];
    char *env[] = {"SERVER_PORT=7000", "MEET_BASE_PATH=", "MEET_WORKERS=4",
                   "MEET_MAX_BODY_SIZE=512k", "UNRELATED=1", NULL};
    char *argv[] = {"meetd", "--port", "7001", "--data-dir=/tmp/x"};
    ASSERT_INT_EQ(load(&cfg, argv, 4, env, err, sizeof(err)), 0);
    ASSERT_INT_EQ(cfg.port, 7001); /* the flag wins */
    ASSERT_STR_EQ(cfg.base_path, "/");
    ASSERT_INT_EQ(cfg.workers, 4);
    ASSERT_INT_EQ(cfg.max_body_size, 512 * 1024);
    ASSERT_STR_EQ(cfg.data_dir, "/tmp/x");
    gw_config_free(&cfg);

    char *env2[] = {"MEET_BASE_PATH=app", NULL};
    ASSERT_INT_EQ(load(&cfg, argv, 1, env2, err, sizeof(err)), 0);
    ASSERT_STR_EQ(cfg.base_path, "/app/");
    gw_config_free(&cfg);
}

static void test_base_url_default_ports(void)
{
    struct {
        const char *in, *out;
    } cases[] = {
        {"https://meet.example.com:443/", "https://meet.example.com"},
        {"http://h:80", "http://h"},
        {"http://h:8080", "http://h:8080"},
        {"https://h:4430", "https://h:4430"},
        {"http://h:80/prefix/", "http://h/prefix"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        gw_config_t cfg;
        char err[256], e[256];
        snprintf(e, sizeof(e), "MEET_BASE_URL=%s", cases[i].in);
        char *env[] = {e, NULL};
        char *argv[] = {"meetd"};
        ASSERT_INT_EQ(load(&cfg, argv, 1, env, err, sizeof(err)), 0);
        ASSERT_STR_EQ(cfg.base_url, cases[i].out);
        gw_config_free(&cfg);
    }
}

static void test_invalid(void)
{
    const char *bad[] = {"SERVER_PORT=70000", "SERVER_PORT=12a",
                         "MEET_WORKERS=x",    "MEET_BASE_URL=ftp://x",
                         "MEET_LOG_LEVEL=loud", "MEET_SANDBOX=maybe",
                         "MEET_MAX_BODY_SIZE=1t", "MEET_BASE_URL=http://",
                         "MEET_RECORDING_BACKEND=s3",
                         "MEET_S3_SUBBUCKET=a/b", "MEET_S3_SUBBUCKET=..",
                         "MEET_LIVEKIT_TIMEOUT_MS=5"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        gw_config_t cfg;
        char err[256] = "";
        char *env[] = {(char *)bad[i], NULL};
        char *argv[] = {"meetd"};
        ASSERT_INT_EQ(load(&cfg, argv, 1, env, err, sizeof(err)), -1);
        char name[64];
        snprintf(name, sizeof(name), "%.*s",
                 (int)(strchr(bad[i], '=') - bad[i]), bad[i]);
        ASSERT(strstr(err, name) != NULL);
    }
    gw_config_t cfg;
    char err[256];
    char *argv[] = {"meetd", "--bogus"};
    ASSERT_INT_EQ(load(&cfg, argv, 2, NULL, err, sizeof(err)), -1);
    ASSERT(strstr(err, "--bogus") != NULL);
    char *argv2[] = {"meetd", "--port"};
    ASSERT_INT_EQ(load(&cfg, argv2, 2, NULL, err, sizeof(err)), -1);
}

static void test_livekit_backend(void)
{
    gw_config_t cfg;
    char err[256] = "";
    char *env[] = {"MEET_RECORDING_BACKEND=livekit",
                   "LIVEKIT_URL=wss://media.example.com",
                   "LIVEKIT_URL_PRIVATE=ws://10.0.0.5:7880/", NULL};
    char *argv[] = {"meetd"};
    ASSERT_INT_EQ(load(&cfg, argv, 1, env, err, sizeof(err)), 0);
    ASSERT_STR_EQ(cfg.recording_backend, "livekit");
    ASSERT_STR_EQ(cfg.s3_subbucket, "openvidu-meet");
    ASSERT_INT_EQ(cfg.livekit_timeout_ms, 10000);
    gw_config_free(&cfg);

    /* The URL the API calls go to must be usable; the private one wins. */
    char *bad[] = {"MEET_RECORDING_BACKEND=livekit",
                   "LIVEKIT_URL_PRIVATE=ftp://10.0.0.5", NULL};
    ASSERT_INT_EQ(load(&cfg, argv, 1, bad, err, sizeof(err)), -1);
    ASSERT(strstr(err, "LIVEKIT_URL_PRIVATE") != NULL);
    char *bad2[] = {"MEET_RECORDING_BACKEND=livekit", "LIVEKIT_URL=ws://",
                    NULL};
    ASSERT_INT_EQ(load(&cfg, argv, 1, bad2, err, sizeof(err)), -1);
    ASSERT(strstr(err, "LIVEKIT_URL") != NULL);
    /* The local backend does not call LiveKit: its URL is not checked. */
    char *local[] = {"LIVEKIT_URL=ws://", NULL};
    ASSERT_INT_EQ(load(&cfg, argv, 1, local, err, sizeof(err)), 0);
    gw_config_free(&cfg);
}

static void test_auth(void)
{
    ASSERT_INT_EQ(gw_auth_check_api_key("k1", "k1"), 0);
    ASSERT_INT_EQ(gw_auth_check_api_key("k1", NULL), OV_EUNAUTH);
    ASSERT_INT_EQ(gw_auth_check_api_key("k1", ""), OV_EUNAUTH);
    ASSERT_INT_EQ(gw_auth_check_api_key(NULL, "k1"), OV_ENOKEYS);
    ASSERT_INT_EQ(gw_auth_check_api_key("", "k1"), OV_ENOKEYS);
    ASSERT_INT_EQ(gw_auth_check_api_key("k1", "K1"), OV_EBADKEY);
    ASSERT_INT_EQ(gw_auth_check_api_key("k1", "k1, k1"), OV_EBADKEY);
    char key[64];
    ASSERT_INT_EQ(gw_auth_generate_key(key, sizeof(key)), 0);
    ASSERT_UINT_EQ(strlen(key), 39);
    ASSERT(strncmp(key, "ovmeet-", 7) == 0);
    ASSERT_UINT_EQ(strspn(key + 7, "0123456789abcdef"), 32);
}

int main(void)
{
    TEST_RUN(test_defaults);
    TEST_RUN(test_env_and_flags);
    TEST_RUN(test_base_url_default_ports);
    TEST_RUN(test_invalid);
    TEST_RUN(test_livekit_backend);
    TEST_RUN(test_auth);
    return 0;
}
