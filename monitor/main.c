/* berth-monitor - one small process per running container.
 *
 * It is started detached by the engine, so the container outlives the
 * berth CLI or berthd that started it. It:
 *   1. enters a private mount namespace and mounts the container's
 *      overlayfs root there (no container mount ever appears in the host
 *      namespace, and none can leak: it dies with this process), applying
 *      the hybrid-cgroup workaround for crun when the host needs it;
 *   2. creates the container's stdio (pipes, or a pty through the runtime's
 *      console socket) and the socket clients attach to;
 *   3. says "ready" to the engine, waits for "go" (so attach clients can
 *      connect first), then runs `runtime run --detach` and becomes the
 *      container process's parent (child subreaper);
 *   4. copies output to the log and to attached clients, and client input
 *      to the container's stdin, with backpressure instead of buffering
 *      without bound;
 *   5. on exit records the exit code, time and OOM kill in the state
 *      database, deletes the runtime state, removes the container when it
 *      was started with auto-remove, and only then tells the clients.
 * It is linked statically and keeps no more than a few buffers, so each
 * running container costs well under a megabyte.
 *
 * With --exec-id it holds one exec of a running container instead: no
 * mounts and no log, `runtime exec --detach`, and at the exit the code
 * left in the exec's run directory before the clients hear it (see
 * finish_exec). With --serve it forks monitors on request (serve.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <link.h>
#include <malloc.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroups.h"
#include "ctr_store.h"
#include "exec_store.h"
#include "fdpass.h"
#include "db.h"
#include "monitor.h"
#include "monitor_server.h"
#include "monproto.h"
#include "runtime.h"
#include "trace.h"

static void sync_msg(struct monitor *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sync_msg(struct monitor *m, const char *fmt, ...)
{
    if (m->sync_fd < 0)
        return;
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line - 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n > sizeof line - 2)
        n = sizeof line - 2;
    /* one line: no newlines inside the message */
    for (int i = 0; i < n; i++)
        if (line[i] == '\n')
            line[i] = ' ';
    line[n++] = '\n';
    write_all(m->sync_fd, line, n);
}

/* The state database is opened only when needed and closed right after:
 * an idle monitor keeps no SQLite pages resident. */
static sqlite3 *db_get(struct monitor *m)
{
    if (!m->db) {
        _cleanup_free_ char *path = xasprintf("%s/berth.db", m->root);
        berth_error err = BERTH_ERROR_INIT;
        if (db_open(path, &m->db, &err) < 0)
            m->db = NULL;
    }
    return m->db;
}

static void db_release(struct monitor *m)
{
    db_close(m->db);
    m->db = NULL;
}

static void db_do(struct monitor *m, int (*fn)(sqlite3 *, struct monitor *, void *), void *arg)
{
    sqlite3 *db = db_get(m);
    trace_point("monitor db opened");
    if (db)
        fn(db, m, arg);
    db_release(m);
}

static void tell_exit(struct monitor *m, int code, bool oom, bool removed);
static void drop_clients(struct monitor *m);

/* What main allocated, given back before it returns (the process ends
 * anyway; this keeps the leak checker's report about real leaks). */
static void monitor_release(struct monitor *m)
{
    db_release(m);
    drop_clients(m);
    if (m->exit_fd >= 0)
        close(m->exit_fd);
    buf_free(&m->stdin_q);
    ctr_removal_clear(&m->removal);
    free(m->rundir);
    free(m->ctrdir);
    free(m->state_root);
    free(m->runtime_log);
}

static void die_setup(struct monitor *m, const char *what, int errnum)
{
    sync_msg(m, "error 125 %s: %s", what, strerror(errnum));
    _exit(1);
}

static void setup_mounts(struct monitor *m)
{
    if (unshare(CLONE_NEWNS) < 0)
        die_setup(m, "cannot create a mount namespace", errno);
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        die_setup(m, "cannot make mounts private", errno);
    if (cgroup_hybrid_with_controllers()) {
        int r = cgroup_hide_unified();
        if (r < 0)
            die_setup(m, "cannot hide the unified cgroup controllers", -r);
    }
    /* Every monitor mounts on the same <runroot>/rootfs, each in its own
     * mount namespace: in the host's it stays an empty directory, so no
     * container has a mount point of its own to unmount or remove. A
     * container removed at exit never needs its changes on disk: with
     * "volatile" overlayfs skips syncing its upper directory. */
    _cleanup_free_ char *rootfs = xasprintf("%s/rootfs", m->runroot);
    _cleanup_free_ char *opts =
        xasprintf("lowerdir=%s,upperdir=%s/upper,workdir=%s/work%s", m->lower, m->ctrdir, m->ctrdir,
                  m->auto_remove ? ",volatile" : "");
    if (mount("overlay", rootfs, "overlay", 0, opts) < 0)
        die_setup(m, "cannot mount the container's root filesystem", errno);
}

/* The socket appears under its name only once it listens (bound under a
 * temporary name, then renamed), so whoever sees it can connect. */
static int make_listener(struct monitor *m, const char *name)
{
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (s < 0)
        die_setup(m, "socket", errno);
    _cleanup_free_ char *tmp = xasprintf("%s.tmp", name);
    int r = mp_bind_at(s, m->rundir_fd, tmp);
    if (r < 0)
        die_setup(m, "cannot bind the monitor socket", -r);
    if (listen(s, 64) < 0)
        die_setup(m, "listen", errno);
    if (renameat(m->rundir_fd, tmp, m->rundir_fd, name) < 0)
        die_setup(m, "cannot publish the monitor socket", errno);
    return s;
}

/* The container side of stdio (given to the runtime), ours kept in m. */
struct stdio_ends {
    int in, out, err;
};

static void setup_stdio(struct monitor *m, struct stdio_ends *ends)
{
    ends->in = ends->out = ends->err = -1;
    m->out_fd = m->err_fd = m->in_fd = -1;
    if (m->tty) {
        m->console_fd = make_listener(m, "console.sock");
        return;
    }
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0)
        die_setup(m, "pipe", errno);
    m->out_fd = p[0];
    ends->out = p[1];
    if (pipe2(p, O_CLOEXEC) < 0)
        die_setup(m, "pipe", errno);
    m->err_fd = p[0];
    ends->err = p[1];
    if (m->open_stdin) {
        if (pipe2(p, O_CLOEXEC) < 0)
            die_setup(m, "pipe", errno);
        ends->in = p[0];
        m->in_fd = p[1];
        set_nonblock(m->in_fd, true);
    }
    set_nonblock(m->out_fd, true);
    set_nonblock(m->err_fd, true);
}

/* Receives the pty master that the runtime sends to the console socket. */
static int receive_console(struct monitor *m)
{
    struct pollfd pfd = { m->console_fd, POLLIN, 0 };
    if (poll(&pfd, 1, 10000) <= 0)
        return -ETIMEDOUT;
    int c = accept4(m->console_fd, NULL, NULL, SOCK_CLOEXEC);
    if (c < 0)
        return -errno;
    char data[256];
    int fd;
    size_t n_fds;
    ssize_t n = fdpass_recv(c, data, sizeof data, &fd, 1, &n_fds, NULL);
    close(c);
    if (n < 0)
        return (int)n;
    return n_fds ? fd : -EPROTO;
}

static int db_running(sqlite3 *db, struct monitor *m, void *arg)
{
    (void)arg;
    berth_error err = BERTH_ERROR_INIT;
    return ctr_store_set_running(db, m->id, m->ctr_pid, getpid(), proc_starttime(getpid()),
                                 now_ns(), &err);
}

struct failure {
    int code;
    const char *msg;
};

static int db_failed(sqlite3 *db, struct monitor *m, void *arg)
{
    struct failure *f = arg;
    berth_error err = BERTH_ERROR_INIT;
    if (m->exec_id)
        return exec_store_set_exited(db, m->exec_id, f->code, now_ns(), &err);
    ctr_store_set_start_failed(db, m->id, f->code, f->msg, &err);
    if (m->auto_remove)
        ctr_store_remove(db, m->root, m->runroot, m->id, true, &err);
    return 0;
}

static pid_t runtime_delete_spawn(struct monitor *m)
{
    struct runtime_cmd rt = { m->runtime_path, m->state_root, NULL };
    const char *args[] = { "delete", "--force", m->id, NULL };
    return runtime_spawn(&rt, args, -1, -1, -1, false);
}

static void runtime_delete(struct monitor *m)
{
    if (m->exec_id)
        return; /* the runtime keeps no state for an exec: the container stays */
    pid_t pid = runtime_delete_spawn(m);
    if (pid > 0)
        wait_pid(pid);
}

/* Runs `runtime run --detach` (or, for an exec, `runtime exec --detach`).
 * Returns 0 once the process runs. */
static int start_container(struct monitor *m, struct stdio_ends *ends)
{
    _cleanup_free_ char *pidfile = xasprintf("%s/pid", m->rundir);
    _cleanup_free_ char *console = NULL;
    _cleanup_free_ char *process = xasprintf("%s/process.json", m->rundir);
    struct runtime_cmd rt = { m->runtime_path, m->state_root, m->runtime_log };
    unlink(m->runtime_log);
    const char *args[12];
    size_t k = 0;
    args[k++] = m->exec_id ? "exec" : "run";
    args[k++] = "--detach";
    args[k++] = "--pid-file";
    args[k++] = pidfile;
    args[k++] = m->exec_id ? "--process" : "--bundle";
    args[k++] = m->exec_id ? process : m->rundir;
    if (m->tty) {
        console = xasprintf("/proc/%d/fd/%d/console.sock", (int)getpid(), m->rundir_fd);
        args[k++] = "--console-socket";
        args[k++] = console;
    }
    args[k++] = m->id;
    args[k] = NULL;

    trace_point("monitor runtime run");
    /* An exec monitor opens the state database only once it has said
     * "started": opened while the runtime works, it took the runtime's CPU
     * on a 2-CPU host (runtime exec 8.6 -> 10.2 ms) */
    pid_t pid = runtime_spawn(&rt, args, ends->in, ends->out, ends->err, false);
    if (ends->in >= 0)
        close(ends->in);
    if (ends->out >= 0)
        close(ends->out);
    if (ends->err >= 0)
        close(ends->err);
    if (pid < 0) {
        struct failure f = { 125, "cannot start the OCI runtime" };
        db_do(m, db_failed, &f);
        sync_msg(m, "error 125 cannot run %s: %s", m->runtime_path, strerror(-pid));
        return -1;
    }
    int status = wait_pid(pid);
    trace_point("monitor runtime returned");
    int code = status < 0 ? 125 : exit_code_from_status(status);
    if (code != 0) {
        _cleanup_free_ char *msg = runtime_log_error(m->runtime_log);
        if (!msg && m->err_fd >= 0) {
            /* the runtime's stderr is the container's: its message is there */
            char b[2048];
            ssize_t n = read(m->err_fd, b, sizeof b - 1);
            if (n > 0) {
                while (n > 0 && (b[n - 1] == '\n' || b[n - 1] == ' '))
                    n--;
                b[n] = '\0';
                msg = xstrdup(b);
            }
        }
        if (!msg)
            msg = xasprintf("%s exited with status %d", m->runtime_path, code);
        int ecode = runtime_start_exit_code(msg, m->cmd0);
        runtime_delete(m);
        struct failure f = { ecode, msg };
        db_do(m, db_failed, &f);
        sync_msg(m, "error %d %s", ecode, msg);
        return -1;
    }
    _cleanup_free_ char *pidtext = NULL;
    if (read_file(pidfile, &pidtext, NULL) < 0 || (m->ctr_pid = atoi(pidtext)) <= 0) {
        runtime_delete(m);
        struct failure f = { 125, "the runtime wrote no pid file" };
        db_do(m, db_failed, &f);
        sync_msg(m, "error 125 the runtime wrote no pid file");
        return -1;
    }
    if (m->tty) {
        int master = receive_console(m);
        if (master < 0) {
            kill(m->ctr_pid, SIGKILL);
            runtime_delete(m);
            struct failure f = { 125, "no terminal from the runtime" };
            db_do(m, db_failed, &f);
            sync_msg(m, "error 125 no terminal from the runtime: %s", strerror(-master));
            return -1;
        }
        m->out_fd = master;
        m->in_fd = fcntl(master, F_DUPFD_CLOEXEC, 3);
        set_nonblock(m->out_fd, true);
        set_nonblock(m->in_fd, true);
        close(m->console_fd);
        m->console_fd = -1;
        if (!m->open_stdin) {
            close(m->in_fd);
            m->in_fd = -1;
        }
    }
    /* A container's run is recorded before the engine hears "started";
     * the connection is closed after, off the critical path (see main).
     * An exec's is recorded by the engine, which has the database open. */
    sqlite3 *db = m->exec_id ? NULL : db_get(m);
    if (db)
        db_running(db, m, NULL);
    return 0;
}

struct exit_info {
    int code;
    bool oom;
};

static int db_exited(sqlite3 *db, struct monitor *m, void *arg)
{
    struct exit_info *x = arg;
    berth_error err = BERTH_ERROR_INIT;
    ctr_store_set_exited(db, m->id, x->code, x->oom, m->exit_time, NULL, &err);
    trace_point("monitor db exited");
    if (m->auto_remove)
        ctr_store_remove_row(db, m->id, true, &m->removal, &err);
    return 0;
}

/* Takes the container's lock (as the engine's start and remove do), so
 * that nobody starts the container again before the runtime has deleted
 * this run. Returns the fd to close, or -1. */
static int lock_container(struct monitor *m)
{
    int fd = openat(m->ctrdir_fd, "lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return -1;
    while (flock(fd, LOCK_EX) < 0 && errno == EINTR) {
    }
    return fd;
}

/* The order matters to anyone waiting: the state database says "exited"
 * before the socket goes away, so a client that finds no socket also
 * finds the exit recorded; connected clients hear last, once the runtime
 * has forgotten the container. The runtime's delete (its own process, a
 * few milliseconds of startup and cgroup removal) runs while the database
 * is updated and the files are removed. */
static void finish(struct monitor *m)
{
    _cleanup_free_ char *cg = xasprintf("%s/%s", CGROUP_PARENT, m->id);
    struct exit_info x = { exit_code_from_status(m->exit_status), cgroup_oom_kills(cg) > 0 };
    log_writer_close(&m->log);
    trace_point("monitor delete");
    pid_t del = runtime_delete_spawn(m);
    /* Release the overlay: a restart must not find the upper directory
     * still in use. An unmount waits for an RCU grace period (~5 ms here),
     * so a child of ours (in our mount namespace) does it while we update
     * the database. An auto-remove container is never started again: its
     * overlay goes with our mount namespace when we exit. */
    pid_t um = m->auto_remove ? 0 : fork();
    if (um == 0 && !m->auto_remove) {
        _cleanup_free_ char *rootfs = xasprintf("%s/rootfs", m->runroot);
        umount2(rootfs, MNT_DETACH);
        _exit(0);
    }
    int lock = lock_container(m);
    trace_point("monitor locked");
    db_do(m, db_exited, &x);
    if (um > 0)
        wait_pid(um);
    trace_point("monitor unmounted");
    if (m->auto_remove) {
        berth_error err = BERTH_ERROR_INIT;
        ctr_store_remove_files(m->root, m->runroot, m->id, &m->removal, &err);
    }
    trace_point("monitor recorded");
    unlinkat(m->rundir_fd, "monitor.sock", 0);
    close(m->listen_fd);
    m->listen_fd = -1;
    if (del > 0)
        wait_pid(del);
    trace_point("monitor deleted");
    if (lock >= 0)
        close(lock);
    tell_exit(m, x.code, x.oom, m->auto_remove);
    drop_clients(m);
}

/* After an exec's exit: whether a client (the engine that started it)
 * says it has recorded the exit. Waits 2 s at most, and only while some
 * client is still connected. */
static bool recorded_by_client(struct monitor *m)
{
    int64_t deadline = monotonic_ns() + 2000000000LL;
    struct pollfd pfd[64];
    size_t n = m->n_clients < 64 ? m->n_clients : 64;
    for (size_t i = 0; i < n; i++) {
        pfd[i].fd = m->clients[i]->fd;
        pfd[i].events = POLLIN;
        struct timeval tv = { 1, 0 };
        setsockopt(pfd[i].fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    }
    size_t open = n;
    while (open) {
        int64_t left = deadline - monotonic_ns();
        if (left <= 0)
            return false;
        int pr = poll(pfd, n, (int)(left / 1000000) + 1);
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr <= 0)
            return false;
        for (size_t i = 0; i < n; i++) {
            if (pfd[i].fd < 0 || !pfd[i].revents)
                continue;
            uint8_t type;
            void *payload = NULL;
            uint32_t len;
            int r = mp_recv(pfd[i].fd, &type, &payload, &len);
            free(payload);
            if (r > 0 && type == MP_RECORDED)
                return true;
            if (r <= 0) {
                pfd[i].fd = -1; /* gone without a word */
                open--;
            }
        }
    }
    return false;
}

/* The end of an exec. Its exit code goes into the run directory first
 * (the file was made while the exec ran), so that whoever asks once the
 * clients have heard finds it; then the clients hear. The engine that
 * started the exec records the exit in the state database and says so:
 * opening the database (its schema read and parsed) would cost this
 * process a millisecond of CPU that the client's next request is waiting
 * for. Only when nobody records it (a detached exec, a client gone) does
 * the monitor. The container is not ours to touch. */
static void finish_exec(struct monitor *m)
{
    int code = exit_code_from_status(m->exit_status);
    bool filed = m->exit_fd >= 0 && exec_exit_file_set(m->exit_fd, code) == 0;
    berth_error err = BERTH_ERROR_INIT;
    if (!filed) {
        /* no file: the database must have the exit before anyone hears */
        sqlite3 *db = db_get(m);
        if (db)
            exec_store_set_exited(db, m->exec_id, code, m->exit_time, &err);
    }
    unlinkat(m->rundir_fd, "monitor.sock", 0);
    close(m->listen_fd);
    m->listen_fd = -1;
    tell_exit(m, code, false, false);
    int r = 0;
    if (filed && !recorded_by_client(m)) {
        sqlite3 *db = db_get(m);
        r = db ? exec_store_set_exited(db, m->exec_id, code, m->exit_time, &err) : -1;
    }
    drop_clients(m);
    db_release(m);
    /* the file stays when the database could not have the exit */
    if (r >= 0)
        rm_rf(m->rundir);
}

/* Sends the exit to every client, waiting (a little) for each to take it;
 * the connections stay open (see drop_clients). */
static void tell_exit(struct monitor *m, int code, bool oom, bool removed)
{
    unsigned char payload[6];
    mp_put_u32(payload, (uint32_t)code);
    payload[4] = oom;
    payload[5] = removed;
    for (size_t i = 0; i < m->n_clients; i++) {
        struct client *c = m->clients[i];
        client_queue(c, MP_EXIT, payload, sizeof payload);
        set_nonblock(c->fd, false);
        struct timeval tv = { 5, 0 };
        setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        write_all(c->fd, c->out.data + c->out_off, c->out.len - c->out_off);
        c->out_off = c->out.len;
    }
}

static void drop_clients(struct monitor *m)
{
    for (size_t i = 0; i < m->n_clients; i++)
        client_free(m->clients[i]);
    free(m->clients);
    m->clients = NULL;
    m->n_clients = 0;
}

/* Once the container runs, the monitor sits in its poll loop for as long
 * as the container lives; the code and tables it used to start (SQLite,
 * option parsing, setup) need not stay in its page tables: its own
 * executable's read-only pages are dropped (what is used again is
 * refaulted) and freed heap goes back to the system. This keeps an idle
 * monitor well under a megabyte of RSS. */
static bool only_the_executable(const char *path, void *userdata)
{
    bool *first = userdata;
    bool pick = *first;
    *first = false;
    (void)path;
    return pick;
}

void monitor_idle(struct monitor *m)
{
    m->idle_at = 0;
    db_release(m);
    monitor_shrink();
}

void monitor_shrink(void)
{
    malloc_trim(0);
    bool first = true;
    drop_readonly_pages(only_the_executable, &first);
}

static void usage(void)
{
    fprintf(stderr, "berth-monitor is started by the berth engine, not by hand.\n");
    exit(2);
}

int monitor_run(int argc, char **argv, bool forked)
{
    struct monitor m = { 0 };
    m.sync_fd = m.go_fd = m.listen_fd = m.console_fd = m.sig_fd = m.exit_fd = -1;
    m.out_fd = m.err_fd = m.in_fd = -1;
    enum {
        OPT_ID = 1,
        OPT_ROOT,
        OPT_RUNROOT,
        OPT_RTNAME,
        OPT_RT,
        OPT_SYNC,
        OPT_GO,
        OPT_LOWER,
        OPT_CMD0,
        OPT_TTY,
        OPT_STDIN,
        OPT_ONCE,
        OPT_RM,
        OPT_EXEC
    };
    static const struct option longopts[] = {
        { "id", required_argument, NULL, OPT_ID },
        { "root", required_argument, NULL, OPT_ROOT },
        { "runroot", required_argument, NULL, OPT_RUNROOT },
        { "runtime-name", required_argument, NULL, OPT_RTNAME },
        { "runtime", required_argument, NULL, OPT_RT },
        { "sync-fd", required_argument, NULL, OPT_SYNC },
        { "go-fd", required_argument, NULL, OPT_GO },
        { "lower", required_argument, NULL, OPT_LOWER },
        { "cmd0", required_argument, NULL, OPT_CMD0 },
        { "tty", no_argument, NULL, OPT_TTY },
        { "stdin", no_argument, NULL, OPT_STDIN },
        { "stdin-once", no_argument, NULL, OPT_ONCE },
        { "auto-remove", no_argument, NULL, OPT_RM },
        { "exec-id", required_argument, NULL, OPT_EXEC },
        { NULL, 0, NULL, 0 },
    };
    int o;
    while ((o = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (o) {
        case OPT_ID: m.id = optarg; break;
        case OPT_ROOT: m.root = optarg; break;
        case OPT_RUNROOT: m.runroot = optarg; break;
        case OPT_RTNAME: m.runtime_name = optarg; break;
        case OPT_RT: m.runtime_path = optarg; break;
        case OPT_SYNC: m.sync_fd = atoi(optarg); break;
        case OPT_GO: m.go_fd = atoi(optarg); break;
        case OPT_LOWER: m.lower = optarg; break;
        case OPT_CMD0: m.cmd0 = optarg; break;
        case OPT_TTY: m.tty = true; break;
        case OPT_STDIN: m.open_stdin = true; break;
        case OPT_ONCE: m.stdin_once = true; break;
        case OPT_RM: m.auto_remove = true; break;
        case OPT_EXEC: m.exec_id = optarg; break;
        default: usage();
        }
    }
    if (!m.id || !m.root || !m.runroot || !m.runtime_name || !m.runtime_path ||
        (!m.lower && !m.exec_id) || m.sync_fd < 0 || m.go_fd < 0)
        usage();
    set_cloexec(m.sync_fd, true);
    set_cloexec(m.go_fd, true);
    /* keep nothing the engine's process happened to leave open */
    int keep_max = m.sync_fd > m.go_fd ? m.sync_fd : m.go_fd;
    for (int fd = 3; fd < keep_max; fd++)
        if (fd != m.sync_fd && fd != m.go_fd)
            close(fd);
    close_range(keep_max + 1, ~0U, 0);

    /* Detach: the engine reaps the process it spawned, and the one that
     * goes on is nobody's child but init's (or a subreaper's). One forked
     * by the server is the server's child, which nobody waits for. */
    pid_t child = forked ? 0 : fork();
    if (child < 0)
        die_setup(&m, "fork", errno);
    if (child > 0)
        _exit(0);
    setsid();

    signal(SIGPIPE, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    signal(SIGINT, SIG_IGN);
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, NULL);
    m.sig_fd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
    if (m.sig_fd < 0)
        die_setup(&m, "signalfd", errno);
    if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
        die_setup(&m, "cannot become a subreaper", errno);

    m.rundir = m.exec_id ? xasprintf("%s/execs/%s", m.runroot, m.exec_id)
                         : xasprintf("%s/containers/%s", m.runroot, m.id);
    m.ctrdir = xasprintf("%s/containers/%s", m.root, m.id);
    m.state_root = runtime_state_root(m.runroot, m.runtime_name);
    m.runtime_log = xasprintf("%s/runtime.log", m.rundir);
    m.rundir_fd = open(m.rundir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    m.ctrdir_fd = open(m.ctrdir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (m.rundir_fd < 0 || m.ctrdir_fd < 0)
        die_setup(&m, "cannot open the container's directories", errno);
    if (mkdir_p(m.state_root, 0700) < 0)
        die_setup(&m, "cannot create the runtime state directory", errno);

    trace_point("monitor begin");
    if (!m.exec_id)
        setup_mounts(&m); /* `runtime exec` joins the running container: it needs neither
                             its own mounts nor the hybrid-cgroup workaround */
    m.listen_fd = make_listener(&m, "monitor.sock");
    m.log.fd = m.log.idx_fd = -1;
    int r = m.exec_id ? 0 : log_writer_open(&m.log, m.ctrdir_fd);
    if (r < 0)
        die_setup(&m, "cannot open the container log", -r);
    struct stdio_ends ends;
    setup_stdio(&m, &ends);

    trace_point("monitor ready");
    sync_msg(&m, "ready %d", (int)getpid());
    /* while the engine resolves the user and writes config.json */
    if (!m.exec_id)
        db_get(&m);

    /* Wait for "go"; clients that connected before it are accepted first,
     * so they see the container's first byte of output. */
    char go = 0;
    for (;;) {
        ssize_t n = read(m.go_fd, &go, 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (m.exec_id)
                rm_rf(m.rundir);
            monitor_release(&m);
            return 0; /* the engine gave up; our mounts vanish with us */
        }
        break;
    }
    close(m.go_fd);
    m.go_fd = -1;
    trace_point("monitor go");
    accept_clients(&m, true);

    if (start_container(&m, &ends) < 0) {
        /* attached clients see the connection close without an exit frame */
        if (m.exec_id)
            rm_rf(m.rundir);
        monitor_release(&m);
        return 0;
    }
    trace_point("monitor started");
    sync_msg(&m, "started %d", (int)m.ctr_pid);
    close(m.sync_fd);
    m.sync_fd = -1;
    if (m.exec_id) {
        /* made while the exec runs: on a journaling file system this can
         * take a few tenths of a millisecond */
        m.exit_fd = exec_exit_file_create(m.rundir_fd);
    } else {
        /* Many containers end within a second (a command run with --rm,
         * a test): they record their exit on the connection opened for
         * the start, instead of opening the database again (about a
         * millisecond: the schema read and parsed). One that runs on
         * gives back the connection and its pages then (monitor_idle). */
        m.idle_at = monotonic_ns() + MONITOR_IDLE_AFTER_NS;
    }

    monitor_loop(&m);
    trace_point("monitor exited");
    if (m.exec_id)
        finish_exec(&m);
    else
        finish(&m);
    trace_point("monitor finished");
    monitor_release(&m);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], MONITOR_SERVER_ARG) == 0)
        return monitor_serve(argc, argv);
    return monitor_run(argc, argv, false);
}
