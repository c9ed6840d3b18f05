/* test_api.c - libberth as a program embedding it sees it: linked against
 * libberth.so, only <berth/berth.h> included. Imports an image, runs a
 * container, reads its logs and exit code, and removes everything. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <berth/berth.h>

static int failures;
#define EXPECT(cond, ...)                                                                          \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: %s failed: ", __FILE__, __LINE__, #cond);                      \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

struct out {
    char text[256];
    size_t len;
};

static int collect(void *ud, int stream, int64_t ts, const char *data, size_t len)
{
    struct out *o = ud;
    (void)ts;
    int n = snprintf(o->text + o->len, sizeof o->text - o->len, "%d:%.*s", stream, (int)len, data);
    if (n > 0)
        o->len += (size_t)n;
    return 0;
}

int main(void)
{
    const char *tar = getenv("BERTH_TEST_ROOTFS");
    if (!tar) {
        fprintf(stderr, "BERTH_TEST_ROOTFS is not set\n");
        return 1;
    }
    char base[] = "/tmp/berth-test-api-XXXXXX";
    if (!mkdtemp(base))
        return 1;
    char root[300], runroot[300];
    snprintf(root, sizeof root, "%s/root", base);
    snprintf(runroot, sizeof runroot, "%s/run", base);

    berth_engine_opts eo = BERTH_ENGINE_OPTS_INIT;
    eo.root = root;
    eo.runroot = runroot;
    berth_engine *e = NULL;
    berth_error err = BERTH_ERROR_INIT;
    EXPECT(berth_engine_open(&e, &eo, &err) == 0, "%s", err.message);
    if (!e)
        return 1;

    int fd = open(tar, O_RDONLY);
    berth_import_opts io = BERTH_IMPORT_OPTS_INIT;
    io.reference = "busybox";
    char *image_id = NULL;
    EXPECT(berth_image_import(e, fd, &io, &image_id, &err) == 0, "%s", err.message);
    close(fd);

    berth_create_opts co = BERTH_CREATE_OPTS_INIT;
    co.name = "from-c";
    co.config_json =
        "{\"Image\":\"busybox\",\"Cmd\":[\"sh\",\"-c\",\"echo out; echo err >&2; exit 5\"]}";
    char *id = NULL;
    EXPECT(berth_container_create(e, &co, &id, &err) == 0, "%s", err.message);
    EXPECT(id && strlen(id) == 64, "a 64-hex ID");
    EXPECT(berth_container_create(e, &co, NULL, &err) == BERTH_ECONFLICT, "a second from-c");
    EXPECT(berth_code_http_status(err.code) == 409, "409 for a name conflict");

    EXPECT(berth_container_start(e, "from-c", NULL, &err) == 0, "%s", err.message);
    int code = -1;
    EXPECT(berth_container_wait(e, "from-c", BERTH_WAIT_NOT_RUNNING, -1, &code, &err) == 0, "%s",
           err.message);
    EXPECT(code == 5, "exit code %d, want 5", code);

    struct out o = { { 0 }, 0 };
    berth_logs_opts lo = BERTH_LOGS_OPTS_INIT;
    EXPECT(berth_container_logs(e, "from-c", &lo, collect, &o, &err) == 0, "%s", err.message);
    EXPECT(strcmp(o.text, "1:out\n2:err\n") == 0 || strcmp(o.text, "2:err\n1:out\n") == 0,
           "logs \"%s\"", o.text);

    char *json = NULL;
    EXPECT(berth_container_inspect(e, id, &json, &err) == 0, "%s", err.message);
    EXPECT(json && strstr(json, "\"ExitCode\": 5"), "inspect shows the exit code");
    berth_free(json);

    EXPECT(berth_container_inspect(e, "nothing", &json, &err) == BERTH_ENOTFOUND, "404");
    EXPECT(strcmp(err.message, "No such container: nothing") == 0, "message \"%s\"", err.message);

    /* changes and commit (berth/commit.h): nothing changed, so null and
     * an image with the same layers */
    EXPECT(berth_container_changes(e, "from-c", &json, &err) == 0, "%s", err.message);
    EXPECT(json && strcmp(json, "null") == 0, "changes \"%s\"", json ? json : "");
    berth_free(json);
    berth_commit_opts cmo = BERTH_COMMIT_OPTS_INIT;
    cmo.reference = "from-c-image:1";
    cmo.comment = "from C";
    char *committed = NULL;
    EXPECT(berth_container_commit(e, "from-c", &cmo, &committed, &err) == 0, "%s", err.message);
    EXPECT(committed && strncmp(committed, "sha256:", 7) == 0, "an image ID");
    EXPECT(berth_container_commit(e, "nothing", NULL, NULL, &err) == BERTH_ENOTFOUND, "404");
    char *report = NULL;
    EXPECT(berth_image_remove(e, "from-c-image:1", false, false, &report, &err) == 0, "%s",
           err.message);
    berth_free(report);
    berth_free(committed);

    berth_remove_opts ro = BERTH_REMOVE_OPTS_INIT;
    EXPECT(berth_container_remove(e, id, &ro, &err) == 0, "%s", err.message);
    EXPECT(berth_image_remove(e, "busybox", false, false, &report, &err) == 0, "%s", err.message);
    berth_free(report);
    berth_free(id);
    berth_free(image_id);
    berth_engine_free(e);

    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", base);
    if (system(cmd) != 0)
        failures++;
    if (failures)
        fprintf(stderr, "%d check(s) failed\n", failures);
    return failures ? 1 : 0;
}
