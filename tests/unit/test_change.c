/* test_change.c - Dockerfile --change instructions applied to an image
 * config: each instruction's forms, and the errors Docker gives. */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "image_config.h"
#include "util.h"

static int failures;

/* Applies changes to a fresh config and compares its "config" member with
 * want (JSON). */
static void expect(const char *const *changes, size_t n, const char *want)
{
    json_t *cfg = image_config_new(0);
    berth_error err = BERTH_ERROR_INIT;
    int r = image_config_apply_changes(cfg, changes, n, &err);
    if (r != 0) {
        fprintf(stderr, "FAIL: %s: unexpected error: %s\n", changes[0], err.message);
        failures++;
        json_decref(cfg);
        return;
    }
    json_t *w = json_loads(want, 0, NULL);
    if (!w) {
        fprintf(stderr, "BAD TEST: %s\n", want);
        exit(2);
    }
    json_t *got = json_object_get(cfg, "config");
    if (!json_equal(got, w)) {
        char *g = json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS);
        fprintf(stderr, "FAIL: %s%s:\n  got  %s\n  want %s\n", changes[0], n > 1 ? " ..." : "", g,
                want);
        free(g);
        failures++;
    }
    json_decref(w);
    json_decref(cfg);
}

#define EXPECT1(change, want)                                                                      \
    do {                                                                                           \
        const char *c_[] = { change };                                                             \
        expect(c_, 1, want);                                                                       \
    } while (0)

static void expect_error(const char *change, const char *message)
{
    json_t *cfg = image_config_new(0);
    json_object_set_new(json_object_get(cfg, "config"), "User", json_string("kept"));
    const char *changes[] = { "ENV A=1", change };
    berth_error err = BERTH_ERROR_INIT;
    int r = image_config_apply_changes(cfg, changes, 2, &err);
    if (r != BERTH_EINVAL) {
        fprintf(stderr, "FAIL: '%s' should fail, got %d\n", change, r);
        failures++;
    } else if (message && strcmp(err.message, message) != 0) {
        fprintf(stderr, "FAIL: '%s': message '%s', want '%s'\n", change, err.message, message);
        failures++;
    }
    /* a failed set of changes leaves the config as it was */
    json_t *config = json_object_get(cfg, "config");
    if (json_object_size(config) != 1 ||
        strcmp(json_string_value(json_object_get(config, "User")), "kept") != 0) {
        fprintf(stderr, "FAIL: '%s' changed the config although it failed\n", change);
        failures++;
    }
    json_decref(cfg);
}

int main(void)
{
    /* ENV: both forms, quotes, escapes, expansion */
    EXPECT1("ENV k v", "{\"Env\":[\"k=v\"]}");
    EXPECT1("ENV k v with spaces", "{\"Env\":[\"k=v with spaces\"]}");
    EXPECT1("env k=v k2=\"v 2\"", "{\"Env\":[\"k=v\",\"k2=v 2\"]}");
    EXPECT1("ENV a='single $x' b=esc\\ aped c=\"q\\\"d\"",
            "{\"Env\":[\"a=single $x\",\"b=esc aped\",\"c=q\\\"d\"]}");
    {
        const char *c[] = { "ENV PATH=/usr/bin", "ENV PATH=$PATH:/x OTHER=${PATH}",
                            "ENV D=${NOPE:-def} E=${PATH:+set} F=${NOPE:+unset}" };
        expect(c, 3,
               "{\"Env\":[\"PATH=/usr/bin:/x\",\"OTHER=/usr/bin\",\"D=def\",\"E=set\",\"F=\"]}");
    }
    /* LABEL */
    EXPECT1("LABEL a=b \"c d\"=\"e f\"", "{\"Labels\":{\"a\":\"b\",\"c d\":\"e f\"}}");
    EXPECT1("LABEL version 1.0", "{\"Labels\":{\"version\":\"1.0\"}}");
    /* CMD and ENTRYPOINT */
    EXPECT1("CMD [\"echo\", \"hi\"]", "{\"Cmd\":[\"echo\",\"hi\"]}");
    EXPECT1("CMD echo $HOME hi", "{\"Cmd\":[\"/bin/sh\",\"-c\",\"echo $HOME hi\"]}");
    EXPECT1("CMD [not json", "{\"Cmd\":[\"/bin/sh\",\"-c\",\"[not json\"]}");
    EXPECT1("ENTRYPOINT [\"/bin/busybox\"]", "{\"Entrypoint\":[\"/bin/busybox\"],\"Cmd\":null}");
    EXPECT1("ENTRYPOINT top -b", "{\"Entrypoint\":[\"/bin/sh\",\"-c\",\"top -b\"],\"Cmd\":null}");
    {
        const char *c[] = { "CMD [\"-l\"]", "ENTRYPOINT [\"ls\"]" };
        expect(c, 2, "{\"Cmd\":[\"-l\"],\"Entrypoint\":[\"ls\"]}");
    }
    /* WORKDIR, USER, STOPSIGNAL */
    EXPECT1("WORKDIR /app", "{\"WorkingDir\":\"/app\"}");
    {
        const char *c[] = { "WORKDIR /a", "WORKDIR b/../c", "ENV D=d", "WORKDIR $D" };
        expect(c, 4, "{\"WorkingDir\":\"/a/c/d\",\"Env\":[\"D=d\"]}");
    }
    EXPECT1("USER 1000:1000", "{\"User\":\"1000:1000\"}");
    EXPECT1("user nobody", "{\"User\":\"nobody\"}");
    EXPECT1("STOPSIGNAL SIGUSR1", "{\"StopSignal\":\"SIGUSR1\"}");
    EXPECT1("STOPSIGNAL 9", "{\"StopSignal\":\"9\"}");
    EXPECT1("STOPSIGNAL term", "{\"StopSignal\":\"term\"}");
    EXPECT1("STOPSIGNAL SIGRTMIN+3", "{\"StopSignal\":\"SIGRTMIN+3\"}");
    /* EXPOSE */
    EXPECT1("EXPOSE 80", "{\"ExposedPorts\":{\"80/tcp\":{}}}");
    EXPECT1("EXPOSE 80/tcp 53/udp 9/SCTP",
            "{\"ExposedPorts\":{\"80/tcp\":{},\"53/udp\":{},\"9/sctp\":{}}}");
    EXPECT1("EXPOSE 8000-8002/udp",
            "{\"ExposedPorts\":{\"8000/udp\":{},\"8001/udp\":{},\"8002/udp\":{}}}");
    /* VOLUME */
    EXPECT1("VOLUME /data", "{\"Volumes\":{\"/data\":{}}}");
    EXPECT1("VOLUME /a /b", "{\"Volumes\":{\"/a\":{},\"/b\":{}}}");
    EXPECT1("VOLUME [\"/a b\", \"/c\"]", "{\"Volumes\":{\"/a b\":{},\"/c\":{}}}");
    /* ONBUILD, blanks, comments */
    EXPECT1("ONBUILD RUN make", "{\"OnBuild\":[\"RUN make\"]}");
    EXPECT1("   ", "{}");
    EXPECT1("# a comment", "{}");

    expect_error("FOO bar", "dockerfile parse error on line 2: unknown instruction: FOO");
    expect_error("RUN echo hi", "run is not a valid change command");
    expect_error("COPY a b", "copy is not a valid change command");
    expect_error("FROM busybox", "from is not a valid change command");
    expect_error("ENV", "ENV requires at least one argument");
    expect_error("ENV onlykey", "ENV must have two arguments");
    expect_error("ENV a=1 b",
                 "Syntax error - can't find = in \"b\". Must be of the form: name=value");
    expect_error("ENV =x", "ENV names can not be blank");
    expect_error("ENV a=\"unterminated",
                 "unexpected end of statement while looking for matching double-quote");
    expect_error("LABEL", "LABEL requires at least one argument");
    expect_error("CMD", "CMD requires at least one argument");
    expect_error("WORKDIR", "WORKDIR requires exactly one argument");
    expect_error("USER", "USER requires exactly one argument");
    expect_error("EXPOSE", "EXPOSE requires at least one argument");
    expect_error("EXPOSE 80/xyz", "invalid proto: xyz");
    expect_error("EXPOSE abc", "invalid containerPort: abc");
    expect_error("EXPOSE 70000", "invalid containerPort: 70000");
    expect_error("VOLUME", "VOLUME requires at least one argument");
    expect_error("VOLUME [\"\"]", "VOLUME specified can not be an empty string");
    expect_error("STOPSIGNAL SIGNOPE", "Invalid signal: SIGNOPE");
    expect_error("STOPSIGNAL 0", "Invalid signal: 0");
    expect_error("ONBUILD ONBUILD RUN x", "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
    expect_error("ONBUILD FROM x", "FROM isn't allowed as an ONBUILD trigger");

    if (failures) {
        fprintf(stderr, "test_change: %d failure(s)\n", failures);
        return 1;
    }
    printf("test_change: all passed\n");
    return 0;
}
