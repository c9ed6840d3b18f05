/* container_top.c - Docker's top: the host's ps, filtered to a container's
 * processes.
 *
 * As moby does: ps runs with the caller's arguments (split at spaces)
 * plus `-q PID,PID...` of the container's processes (the PIDs in its
 * cgroup), and again without -q when ps refuses that combination (BSD
 * options such as `f`); the first line gives the titles, the PID column
 * selects the rows, and a row whose PID is "-" (a thread line of `-m`)
 * belongs to the process above it. Columns after the last title are
 * joined into one: the command with its arguments. */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <berth/stats.h>

#include "cgroup_stats.h"
#include "cgroups.h"
#include "container.h"
#include "errors.h"
#include "runtime.h"
#include "util.h"

extern char **environ;

/* Whole contents of a memfd written by a child. */
static char *memfd_text(int fd)
{
    buf_t b = { 0 };
    char tmp[4096];
    ssize_t n;
    if (lseek(fd, 0, SEEK_SET) == 0)
        while ((n = read(fd, tmp, sizeof tmp)) > 0)
            buf_append(&b, tmp, (size_t)n);
    return buf_steal(&b);
}

/* Runs ps with argv; its exit status, or -errno; *out and *errout its
 * stdout and stderr (caller frees). */
static int run_ps(char **argv, char **out, char **errout)
{
    *out = *errout = NULL;
    _cleanup_close_ int ofd = memfd_create("ps-out", MFD_CLOEXEC);
    _cleanup_close_ int efd = memfd_create("ps-err", MFD_CLOEXEC);
    if (ofd < 0 || efd < 0)
        return -errno;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, ofd, 1);
    posix_spawn_file_actions_adddup2(&fa, efd, 2);
    pid_t pid;
    int r = posix_spawnp(&pid, "ps", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (r != 0)
        return -r;
    int status = wait_pid(pid);
    if (status < 0)
        return status;
    *out = memfd_text(ofd);
    *errout = memfd_text(efd);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Splits at ASCII whitespace, as moby's fieldsASCII. */
static char **fields(const char *line)
{
    char **v = NULL;
    for (const char *p = line; *p;) {
        p += strspn(p, " \t\r\n\v\f");
        size_t n = strcspn(p, " \t\r\n\v\f");
        if (!n)
            break;
        strv_push_take(&v, xstrndup(p, n));
        p += n;
    }
    return v;
}

static bool has_pid(const pid_t *pids, size_t n, long pid)
{
    for (size_t i = 0; i < n; i++)
        if (pids[i] == pid)
            return true;
    return false;
}

static void append_row(json_t *procs, char **f, size_t ntitles)
{
    json_t *row = json_array();
    size_t nf = strv_length(f);
    for (size_t i = 0; i + 1 < ntitles && i < nf; i++)
        json_array_append_new(row, json_string(f[i]));
    buf_t cmd = { 0 };
    for (size_t i = ntitles - 1; i < nf; i++)
        buf_appendf(&cmd, "%s%s", i > ntitles - 1 ? " " : "", f[i]);
    _cleanup_free_ char *c = buf_steal(&cmd);
    json_array_append_new(row, json_string(c ? c : ""));
    json_array_append_new(procs, row);
}

/* moby's parsePSOutput. */
static int parse_ps(const char *output, const pid_t *pids, size_t npids, json_t **out,
                    berth_error *err)
{
    _cleanup_free_ char *copy = xstrdup(output);
    char *save = NULL;
    char *first = strtok_r(copy, "\n", &save);
    _cleanup_strv_ char **titles = fields(first ? first : "");
    size_t ntitles = strv_length(titles);
    long pid_col = -1;
    for (size_t i = 0; i < ntitles; i++)
        if (strcmp(titles[i], "PID") == 0) {
            pid_col = (long)i;
            break;
        }
    if (pid_col < 0)
        return berr(err, BERTH_EINTERNAL, "Couldn't find PID field in ps output");
    json_t *jt = json_array();
    for (size_t i = 0; i < ntitles; i++)
        json_array_append_new(jt, json_string(titles[i]));
    json_t *procs = json_array();
    bool prev_in = false;
    for (char *line = strtok_r(NULL, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        _cleanup_strv_ char **f = fields(line);
        if ((long)strv_length(f) <= pid_col)
            continue;
        if (strcmp(f[pid_col], "-") == 0) {
            if (prev_in)
                append_row(procs, f, ntitles);
            continue;
        }
        char *end;
        long p = strtol(f[pid_col], &end, 10);
        if (*end || end == f[pid_col]) {
            json_decref(jt);
            json_decref(procs);
            return berr(err, BERTH_EINTERNAL, "Unexpected pid '%s'", f[pid_col]);
        }
        prev_in = has_pid(pids, npids, p);
        if (prev_in)
            append_row(procs, f, ntitles);
    }
    *out = json_pack("{s:o, s:o}", "Titles", jt, "Processes", procs);
    return 0;
}

/* moby's validatePSArgs: "-o x=PID..." may only rename the pid column. */
static int validate_args(char **args, berth_error *err)
{
    for (size_t i = 0; args && args[i]; i++) {
        char *eq = strchr(args[i], '=');
        if (!eq || !str_has_prefix(eq + 1, "PID"))
            continue;
        const char *k = strrchr(args[i], ',');
        k = k && k < eq ? k + 1 : args[i];
        if (eq - k != 3 || strncmp(k, "pid", 3) != 0)
            return berr(err, BERTH_EINTERNAL, "specifying \"%.*s=%s\" is not allowed",
                        (int)(eq - k), k, eq + 1);
    }
    return 0;
}

int berth_container_top(berth_engine *e, const char *name, const char *ps_args, char **json_out,
                        berth_error *err)
{
    *json_out = NULL;
    _cleanup_ctr_ struct ctr *c = NULL;
    int r = ctr_load(e, name, &c, err);
    if (r < 0)
        return r;
    if (!ctr_is_running(c))
        return berr(err, BERTH_ECONFLICT, "Container %s is not running", c->id);
    if (str_eq(c->state, "restarting"))
        return berr(err, BERTH_ECONFLICT,
                    "Container %s is restarting, wait until the container is running", c->id);

    _cleanup_strv_ char **args = NULL;
    strv_push(&args, "ps");
    const char *a = ps_args && *ps_args ? ps_args : "-ef";
    /* moby splits at single spaces: empty arguments stay */
    for (const char *p = a;;) {
        size_t n = strcspn(p, " ");
        strv_push_take(&args, xstrndup(p, n));
        if (!p[n])
            break;
        p += n + 1;
    }
    r = validate_args(args + 1, err);
    if (r < 0)
        return r;

    _cleanup_free_ char *cgpath = xasprintf("%s/%s", CGROUP_PARENT, c->id);
    struct cgroup_dirs dirs;
    cgroup_dirs_host(cgpath, &dirs);
    _cleanup_free_ pid_t *pids = NULL;
    size_t npids = 0;
    r = cgroup_procs(&dirs, &pids, &npids);
    cgroup_dirs_free(&dirs);
    if (r < 0)
        return berr(err, BERTH_ECONFLICT, "Container %s is not running", c->id);

    buf_t q = { 0 };
    for (size_t i = 0; i < npids; i++)
        buf_appendf(&q, "%s%d", i ? "," : "-q", (int)pids[i]);
    _cleanup_free_ char *qarg = buf_steal(&q);
    _cleanup_free_ char *out = NULL, *errout = NULL;
    r = -1;
    if (npids) {
        _cleanup_strv_ char **with_q = strv_copy(args);
        strv_push(&with_q, qarg);
        r = run_ps(with_q, &out, &errout);
    }
    if (r != 0) {
        /* some options (such as f) cannot go with -q: again without */
        free(out);
        free(errout);
        r = run_ps(args, &out, &errout);
    }
    if (r < 0)
        return berr_errno(err, BERTH_EINTERNAL, -r, "ps");
    if (r > 0) {
        const char *msg = errout ? errout : "";
        size_t n = strcspn(msg, "\n");
        if (n)
            return berr(err, BERTH_EINTERNAL, "ps: %.*s", (int)n, msg);
        return berr(err, BERTH_EINTERNAL, "ps: exit status %d", r);
    }
    json_t *doc = NULL;
    r = parse_ps(out, pids, npids, &doc, err);
    if (r < 0)
        return r;
    *json_out = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(doc);
    return 0;
}
