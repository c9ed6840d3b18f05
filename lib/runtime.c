/* runtime.c - spawning the OCI runtime and reading its errors. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "cgroups.h"
#include "runtime.h"
#include "util.h"

char *runtime_state_root(const char *runroot, const char *name)
{
    const char *base = strrchr(name, '/');
    return xasprintf("%s/runtime/%s", runroot, base ? base + 1 : name);
}

int wait_pid(pid_t pid)
{
    int status;
    for (;;) {
        pid_t r = waitpid(pid, &status, 0);
        if (r == pid)
            return status;
        if (r < 0 && errno != EINTR)
            return -errno;
    }
}

int exit_code_from_status(int status)
{
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return 125;
}

pid_t runtime_spawn(const struct runtime_cmd *rt, const char *const *args, int in_fd, int out_fd,
                    int err_fd, bool isolate)
{
    bool hybrid = isolate && cgroup_hybrid_with_controllers();
    size_t n = 0;
    while (args[n])
        n++;
    const char **argv = xcalloc(n + 8, sizeof(char *));
    size_t k = 0;
    argv[k++] = rt->path;
    argv[k++] = "--root";
    argv[k++] = rt->state_root;
    if (rt->log_path) {
        argv[k++] = "--log";
        argv[k++] = rt->log_path;
        argv[k++] = "--log-format=json";
    }
    for (size_t i = 0; i < n; i++)
        argv[k++] = args[i];
    argv[k] = NULL;

    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        free(argv);
        return -e;
    }
    if (pid == 0) {
        /* the child: only async-signal-safe calls from here on */
        sigset_t all;
        sigemptyset(&all);
        sigprocmask(SIG_SETMASK, &all, NULL);
        signal(SIGPIPE, SIG_DFL);
        if (isolate) {
            if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                _exit(126);
            if (hybrid && cgroup_hide_unified() < 0)
                _exit(126);
        }
        int null_fd = open("/dev/null", O_RDWR);
        int fds[3] = { in_fd >= 0 ? in_fd : null_fd, out_fd >= 0 ? out_fd : null_fd,
                       err_fd >= 0 ? err_fd : null_fd };
        /* move the sources out of the way of 0..2 before dup2 */
        for (int i = 0; i < 3; i++) {
            if (fds[i] >= 0 && fds[i] < 3) {
                int d = fcntl(fds[i], F_DUPFD_CLOEXEC, 3);
                if (d >= 0)
                    fds[i] = d;
            }
        }
        for (int i = 0; i < 3; i++)
            if (fds[i] >= 0)
                dup2(fds[i], i);
        execv(rt->path, (char *const *)argv);
        _exit(127);
    }
    free(argv);
    return pid;
}

char *runtime_log_error(const char *log_path)
{
    if (!log_path)
        return NULL;
    _cleanup_free_ char *c = NULL;
    if (read_file(log_path, &c, NULL) < 0)
        return NULL;
    char *last = NULL;
    for (char *line = c; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        json_t *j = json_loads(line, 0, NULL);
        if (j) {
            const char *level = json_string_value(json_object_get(j, "level"));
            const char *msg = json_string_value(json_object_get(j, "msg"));
            if (msg && level && (strcmp(level, "error") == 0 || strcmp(level, "fatal") == 0)) {
                free(last);
                last = xstrdup(msg);
            }
            json_decref(j);
        }
        line = nl ? nl + 1 : NULL;
    }
    return last;
}

int runtime_run(const struct runtime_cmd *rt, const char *const *args, bool isolate, char **errmsg)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0)
        return -errno;
    pid_t pid = runtime_spawn(rt, args, -1, -1, p[1], isolate);
    close(p[1]);
    if (pid < 0) {
        close(p[0]);
        return pid;
    }
    buf_t out = { 0 };
    char chunk[4096];
    for (;;) {
        ssize_t n = read(p[0], chunk, sizeof chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        if (out.len < 65536)
            buf_append(&out, chunk, n);
    }
    close(p[0]);
    int status = wait_pid(pid);
    if (status < 0) {
        buf_free(&out);
        return status;
    }
    int code = exit_code_from_status(status);
    if (code != 0 && errmsg) {
        char *m = runtime_log_error(rt->log_path);
        if (!m && out.len) {
            while (out.len && (out.data[out.len - 1] == '\n' || out.data[out.len - 1] == ' '))
                out.data[--out.len] = '\0';
            m = xstrdup(out.data);
        }
        if (!m)
            m = xasprintf("%s exited with status %d", rt->path, code);
        *errmsg = m;
    }
    buf_free(&out);
    return code;
}

int runtime_start_exit_code(const char *msg, const char *cmd)
{
    if (!msg)
        return 125;
    if (strcasestr(msg, "executable file not found") || strcasestr(msg, "not found in $PATH"))
        return 127;
    if (strcasestr(msg, "no such file or directory") && cmd && *cmd && strstr(msg, cmd))
        return 127;
    if (strcasestr(msg, "permission denied") || strcasestr(msg, "open executable") ||
        strcasestr(msg, "exec format error"))
        return 126;
    return 125;
}
