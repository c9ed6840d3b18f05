/* monitor_spawn.c - starting a berth-monitor and reading its sync pipe. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "container.h"
#include "engine_int.h"
#include "errors.h"
#include "monitor_server.h"
#include "monitor_spawn.h"
#include "runtime.h"
#include "util.h"

extern char **environ;

/* Reads one line from the monitor. Returns its length, 0 at EOF, -errno. */
int sync_line(struct sync_reader *sr, char *line, size_t cap, int timeout_ms)
{
    for (;;) {
        char *nl = memchr(sr->buf, '\n', sr->len);
        if (nl) {
            size_t n = nl - sr->buf;
            size_t c = n < cap - 1 ? n : cap - 1;
            memcpy(line, sr->buf, c);
            line[c] = '\0';
            memmove(sr->buf, nl + 1, sr->len - n - 1);
            sr->len -= n + 1;
            return (int)c + 1;
        }
        if (sr->len == sizeof sr->buf)
            return -EPROTO;
        struct pollfd pfd = { sr->fd, POLLIN, 0 };
        int pr = poll(&pfd, 1, timeout_ms);
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr == 0)
            return -ETIMEDOUT;
        ssize_t n = read(sr->fd, sr->buf + sr->len, sizeof sr->buf - sr->len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            return 0;
        sr->len += n;
    }
}

int monitor_posix_spawn(const char *path, const char *const *argv, const int *fds, int nfds,
                        pid_t *pid_out)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&attr);
    for (int i = 0; i < nfds; i++)
        posix_spawn_file_actions_adddup2(&fa, fds[i], 3 + i);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDWR, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_RDWR, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_RDWR, 0);
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setflags(&attr,
                             POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSID);
    int r = posix_spawn(pid_out, path, &fa, &attr, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    return r;
}

int monitor_spawn(berth_engine *e, const char *const *argv, int *sync_out, int *go_out,
                  berth_error *err)
{
    int sp[2], gp[2];
    if (pipe2(sp, O_CLOEXEC) < 0)
        return berr_errno(err, BERTH_EINTERNAL, errno, "pipe");
    if (pipe2(gp, O_CLOEXEC) < 0) {
        close(sp[0]);
        close(sp[1]);
        return berr_errno(err, BERTH_EINTERNAL, errno, "pipe");
    }
    /* forked by this process's monitor server, else spawned */
    bool forked = monitor_server_fork(e->monitor_path, argv, sp[1], gp[0]) == 0;
    const int fds[2] = { sp[1], gp[0] };
    pid_t pid = -1;
    int r = forked ? 0 : monitor_posix_spawn(e->monitor_path, argv, fds, 2, &pid);
    close(sp[1]);
    close(gp[0]);
    if (r != 0) {
        close(sp[0]);
        close(gp[1]);
        return berr_errno(err, BERTH_EINTERNAL, r, "cannot run %s", e->monitor_path);
    }
    /* a spawned one forks the real monitor and exits at once */
    if (!forked)
        wait_pid(pid);
    *sync_out = sp[0];
    *go_out = gp[1];
    return 0;
}

void monitor_common_args(const berth_engine *e, const struct ctr *c, const char **argv, size_t *k)
{
    argv[(*k)++] = "berth-monitor";
    argv[(*k)++] = "--id";
    argv[(*k)++] = c->id;
    argv[(*k)++] = "--root";
    argv[(*k)++] = e->root;
    argv[(*k)++] = "--runroot";
    argv[(*k)++] = e->runroot;
    argv[(*k)++] = "--runtime-name";
    argv[(*k)++] = c->runtime;
    argv[(*k)++] = "--runtime";
    argv[(*k)++] = c->runtime_path;
    argv[(*k)++] = "--sync-fd";
    argv[(*k)++] = "3";
    argv[(*k)++] = "--go-fd";
    argv[(*k)++] = "4";
}

int monitor_wait_ready(struct sync_reader *sr, berth_error *err)
{
    char line[2048];
    int n = sync_line(sr, line, sizeof line, 30000);
    if (n <= 0)
        return berr(err, BERTH_EINTERNAL, "berth-monitor failed to start (%s)",
                    n == 0 ? "it exited" : strerror(-n));
    if (str_has_prefix(line, "error ")) {
        const char *msg = strchr(line + 6, ' ');
        return berr(err, BERTH_EINTERNAL, "%s", msg ? msg + 1 : line);
    }
    int pid = 0;
    if (sscanf(line, "ready %d", &pid) != 1 || pid <= 0)
        return berr(err, BERTH_EINTERNAL, "berth-monitor said: %s", line);
    return pid;
}
