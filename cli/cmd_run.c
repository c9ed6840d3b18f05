/* cmd_run.c - berth run, create and start: docker's flags turned into a
 * Docker ContainerCreateRequest (the same document berthd receives), and
 * the foreground stream of a container's output. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "util.h"

struct run_flags {
    bool detach, rm, interactive, tty, read_only, sig_proxy;
    const char *name, *workdir, *user, *entrypoint, *hostname, *runtime, *network;
    const char *stop_signal, *shm_size, *domainname, *detach_keys;
    long stop_timeout;
    char **env, **env_file, **labels, **cap_add, **cap_drop, **add_host, **group_add;
};

#define CREATE_OPTS(f)                                                                                 \
    { "name", 0, OPT_STR, &(f).name, "string", "Assign a name to the container" },                     \
        { "env", 'e', OPT_LIST, &(f).env, "list", "Set environment variables" },                       \
        { "env-file", 0, OPT_LIST, &(f).env_file, "list", "Read in a file of environment variables" }, \
        { "workdir", 'w', OPT_STR, &(f).workdir, "string", "Working directory inside the container" }, \
        { "user",    'u',      OPT_STR,                                                                \
          &(f).user, "string", "Username or UID (format: <name|uid>[:<group|gid>])" },                 \
        { "entrypoint",    0,        OPT_STR,                                                          \
          &(f).entrypoint, "string", "Overwrite the default ENTRYPOINT of the image" },                \
        { "label", 'l', OPT_LIST, &(f).labels, "list", "Set meta data on a container" },               \
        { "hostname", 'h', OPT_STR, &(f).hostname, "string", "Container host name" },                  \
        { "domainname", 0, OPT_STR, &(f).domainname, "string", "Container NIS domain name" },          \
        { "runtime", 0, OPT_STR, &(f).runtime, "string", "Runtime to use for this container" },        \
        { "interactive",    'i',  OPT_BOOL,                                                            \
          &(f).interactive, NULL, "Keep STDIN open even if not attached" },                            \
        { "tty", 't', OPT_BOOL, &(f).tty, NULL, "Allocate a pseudo-TTY" },                             \
        { "rm", 0, OPT_BOOL, &(f).rm, NULL, "Automatically remove the container when it exits" },      \
        { "network", 0, OPT_STR, &(f).network, "string", "Network mode: none or host" },               \
        { "read-only",    0,    OPT_BOOL,                                                              \
          &(f).read_only, NULL, "Mount the container's root filesystem as read only" },                \
        { "stop-signal", 0, OPT_STR, &(f).stop_signal, "string", "Signal to stop the container" },     \
        { "stop-timeout",    0,     OPT_INT,                                                           \
          &(f).stop_timeout, "int", "Timeout (in seconds) to stop a container" },                      \
        { "cap-add", 0, OPT_LIST, &(f).cap_add, "list", "Add Linux capabilities" },                    \
        { "cap-drop", 0, OPT_LIST, &(f).cap_drop, "list", "Drop Linux capabilities" },                 \
        { "add-host",    0,      OPT_LIST,                                                             \
          &(f).add_host, "list", "Add a custom host-to-IP mapping (host:ip)" },                        \
        { "group-add", 0, OPT_LIST, &(f).group_add, "list", "Add additional groups to join" },         \
    {                                                                                                  \
        "shm-size", 0, OPT_STR, &(f).shm_size, "bytes", "Size of /dev/shm"                             \
    }

static void free_flags(struct run_flags *f)
{
    strv_free(f->env);
    strv_free(f->env_file);
    strv_free(f->labels);
    strv_free(f->cap_add);
    strv_free(f->cap_drop);
    strv_free(f->add_host);
    strv_free(f->group_add);
}

/* docker's RAMInBytes: "64m", "1g", "512k", "100" (binary units). */
static int parse_bytes(const char *s, long long *out)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || v < 0)
        return -1;
    double mult = 1;
    switch (tolower((unsigned char)*end)) {
    case '\0': break;
    case 'b':
        mult = 1;
        end++;
        break;
    case 'k':
        mult = 1024;
        end++;
        break;
    case 'm':
        mult = 1024.0 * 1024;
        end++;
        break;
    case 'g':
        mult = 1024.0 * 1024 * 1024;
        end++;
        break;
    case 't':
        mult = 1024.0 * 1024 * 1024 * 1024;
        end++;
        break;
    default: return -1;
    }
    if (*end == 'b' || *end == 'B')
        end++;
    if (*end)
        return -1;
    *out = (long long)(v * mult);
    return 0;
}

void cli_add_env(json_t *env, const char *item)
{
    if (strchr(item, '=')) {
        json_array_append_new(env, json_string(item));
        return;
    }
    /* "-e NAME" passes the caller's value, or nothing */
    const char *v = getenv(item);
    if (v) {
        char *kv = xasprintf("%s=%s", item, v);
        json_array_append_new(env, json_string(kv));
        free(kv);
    }
}

static int read_env_file(json_t *env, const char *path)
{
    _cleanup_free_ char *c = NULL;
    int r = read_file(path, &c, NULL);
    if (r < 0)
        return cli_failf("open %s: %s", path, strerror(-r));
    char *save = NULL;
    for (char *line = strtok_r(c, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        while (*line == ' ' || *line == '\t')
            line++;
        size_t n = strlen(line);
        while (n && (line[n - 1] == '\r' || line[n - 1] == ' '))
            line[--n] = '\0';
        if (!*line || *line == '#')
            continue;
        cli_add_env(env, line);
    }
    return 0;
}

/* Builds the create request from the flags, image and command. */
static char *build_request(struct run_flags *f, const char *image, char **cmd, bool *ok)
{
    *ok = false;
    json_t *req = json_object();
    json_t *hc = json_object();
    json_object_set_new(req, "Image", json_string(image));
    if (cmd && cmd[0]) {
        json_t *c = json_array();
        for (size_t i = 0; cmd[i]; i++)
            json_array_append_new(c, json_string(cmd[i]));
        json_object_set_new(req, "Cmd", c);
    }
    if (f->entrypoint)
        json_object_set_new(req, "Entrypoint", json_pack("[s]", f->entrypoint));
    json_t *env = json_array();
    for (size_t i = 0; f->env_file && f->env_file[i]; i++)
        if (read_env_file(env, f->env_file[i]) != 0) {
            json_decref(env);
            json_decref(req);
            json_decref(hc);
            return NULL;
        }
    for (size_t i = 0; f->env && f->env[i]; i++)
        cli_add_env(env, f->env[i]);
    json_object_set_new(req, "Env", env);
    json_t *labels = json_object();
    for (size_t i = 0; f->labels && f->labels[i]; i++) {
        const char *eq = strchr(f->labels[i], '=');
        _cleanup_free_ char *k =
            eq ? xstrndup(f->labels[i], eq - f->labels[i]) : xstrdup(f->labels[i]);
        json_object_set_new(labels, k, json_string(eq ? eq + 1 : ""));
    }
    json_object_set_new(req, "Labels", labels);
    if (f->workdir)
        json_object_set_new(req, "WorkingDir", json_string(f->workdir));
    if (f->user)
        json_object_set_new(req, "User", json_string(f->user));
    if (f->hostname)
        json_object_set_new(req, "Hostname", json_string(f->hostname));
    if (f->domainname)
        json_object_set_new(req, "Domainname", json_string(f->domainname));
    json_object_set_new(req, "Tty", json_boolean(f->tty));
    json_object_set_new(req, "OpenStdin", json_boolean(f->interactive));
    json_object_set_new(req, "StdinOnce", json_boolean(f->interactive && !f->detach));
    json_object_set_new(req, "AttachStdin", json_boolean(f->interactive && !f->detach));
    json_object_set_new(req, "AttachStdout", json_boolean(!f->detach));
    json_object_set_new(req, "AttachStderr", json_boolean(!f->detach));
    if (f->stop_signal)
        json_object_set_new(req, "StopSignal", json_string(f->stop_signal));
    if (f->stop_timeout >= 0)
        json_object_set_new(req, "StopTimeout", json_integer(f->stop_timeout));
    json_object_set_new(hc, "AutoRemove", json_boolean(f->rm));
    if (f->runtime)
        json_object_set_new(hc, "Runtime", json_string(f->runtime));
    json_object_set_new(hc, "NetworkMode", json_string(f->network ? f->network : "default"));
    if (f->read_only)
        json_object_set_new(hc, "ReadonlyRootfs", json_true());
    if (f->shm_size) {
        long long b;
        if (parse_bytes(f->shm_size, &b) < 0) {
            cli_failf("invalid argument \"%s\" for \"--shm-size\" flag", f->shm_size);
            json_decref(req);
            json_decref(hc);
            return NULL;
        }
        json_object_set_new(hc, "ShmSize", json_integer(b));
    }
    struct {
        const char *key;
        char **list;
    } lists[] = { { "CapAdd", f->cap_add },
                  { "CapDrop", f->cap_drop },
                  { "ExtraHosts", f->add_host },
                  { "GroupAdd", f->group_add } };
    for (size_t k = 0; k < ARRAY_SIZE(lists); k++) {
        if (!lists[k].list)
            continue;
        json_t *a = json_array();
        for (size_t i = 0; lists[k].list[i]; i++)
            json_array_append_new(a, json_string(lists[k].list[i]));
        json_object_set_new(hc, lists[k].key, a);
    }
    if (f->tty && isatty(STDOUT_FILENO)) {
        struct winsize ws;
        if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row)
            json_object_set_new(hc, "ConsoleSize", json_pack("[i,i]", ws.ws_row, ws.ws_col));
    }
    json_object_set_new(req, "HostConfig", hc);
    char *s = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    *ok = true;
    return s;
}

static int parse_create(const struct cmd *cmd, int argc, char **argv, struct run_flags *f, bool run,
                        char ***pos)
{
    memset(f, 0, sizeof *f);
    f->stop_timeout = -1;
    f->sig_proxy = true;
    struct opt run_opts[] = {
        CREATE_OPTS(*f),
        { "detach", 'd', OPT_BOOL, &f->detach, NULL,
          "Run container in background and print container ID" },
        { "sig-proxy", 0, OPT_BOOL, &f->sig_proxy, NULL,
          "Proxy received signals to the process (default true)" },
        { "detach-keys", 0, OPT_STR, &f->detach_keys, "string",
          "Override the key sequence for detaching a container" },
        { NULL, 0, 0, NULL, NULL, NULL },
    };
    struct opt create_opts[] = { CREATE_OPTS(*f), { NULL, 0, 0, NULL, NULL, NULL } };
    if (opts_parse(cmd, run ? run_opts : create_opts, argc, argv, true, pos) < 0)
        return -1;
    if (!*pos || !(*pos)[0]) {
        fprintf(stderr, "\"berth %s\" requires at least 1 argument.\nSee 'berth %s --help'.\n",
                cmd->name, cmd->name);
        return -1;
    }
    return 0;
}

static int create_container(berth_engine *e, struct run_flags *f, char **pos, char **id)
{
    bool ok;
    _cleanup_free_ char *body = build_request(f, pos[0], pos + 1, &ok);
    if (!ok)
        return 125;
    berth_create_opts co = BERTH_CREATE_OPTS_INIT;
    co.name = f->name;
    co.config_json = body;
    berth_error err = BERTH_ERROR_INIT;
    if (berth_container_create(e, &co, id, &err) < 0) {
        fprintf(stderr, "berth: Error: %s.\nSee 'berth run --help'.\n", err.message);
        return 125;
    }
    return 0;
}

int cmd_create(berth_engine *e, int argc, char **argv)
{
    struct run_flags f;
    _cleanup_strv_ char **pos = NULL;
    if (parse_create(cli_find_cmd("create"), argc, argv, &f, false, &pos) < 0) {
        free_flags(&f);
        return 125;
    }
    _cleanup_free_ char *id = NULL;
    int r = create_container(e, &f, pos, &id);
    free_flags(&f);
    if (r)
        return r;
    printf("%s\n", id);
    return 0;
}

/* Docker CLI's exit code for a start that failed. */
static int start_failure_code(const char *msg)
{
    if (strstr(msg, "executable file not found") || strstr(msg, "no such file or directory") ||
        strstr(msg, "not found in $PATH"))
        return 127;
    if (strstr(msg, "permission denied") || strstr(msg, "Permission denied") ||
        strstr(msg, "open executable"))
        return 126;
    return 125;
}

static struct termios saved_tio;
static bool tio_saved;

static void restore_terminal(void)
{
    if (tio_saved)
        tcsetattr(STDIN_FILENO, TCSANOW, &saved_tio);
}

static void send_size(berth_attach *a)
{
    struct winsize ws;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row)
        berth_attach_resize(a, ws.ws_row, ws.ws_col, NULL);
}

int cli_stream(berth_engine *e, const char *id, berth_attach *a, bool tty, bool interactive)
{
    berth_detach_keys keys;
    berth_detach_keys_parse(NULL, &keys, NULL);
    struct stream_opts o = { tty, interactive, true, &keys };
    return cli_stream_with(e, id, a, &o);
}

int cli_stream_with(berth_engine *e, const char *id, berth_attach *a, const struct stream_opts *o)
{
    bool tty = o->tty, interactive = o->interactive;
    berth_detach_keys keys = { { 0 }, 0, 0 };
    if (o->detach)
        keys = *o->detach;
    if (tty && interactive && isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved_tio) == 0) {
        tio_saved = true;
        atexit(restore_terminal);
        struct termios raw = saved_tio;
        cfmakeraw(&raw);
        tcsetattr(STDIN_FILENO, TCSANOW, &raw);
    }
    if (tty)
        send_size(a);
    sigset_t set;
    sigemptyset(&set);
    int proxied[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };
    /* --sig-proxy=false: they act on us, and the container runs on */
    for (size_t i = 0; o->sig_proxy && i < ARRAY_SIZE(proxied); i++)
        sigaddset(&set, proxied[i]);
    sigaddset(&set, SIGWINCH);
    sigset_t saved_mask;
    sigprocmask(SIG_BLOCK, &set, &saved_mask);
    _cleanup_close_ int sfd = signalfd(-1, &set, SFD_CLOEXEC);

    bool stdin_open = interactive, detached = false;
    static char buf[65536];
    berth_error err = BERTH_ERROR_INIT;
    for (;;) {
        struct pollfd pfd[3] = { { berth_attach_fd(a), POLLIN, 0 },
                                 { stdin_open ? STDIN_FILENO : -1, POLLIN, 0 },
                                 { sfd, POLLIN, 0 } };
        if (poll(pfd, 3, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (pfd[2].revents) {
            struct signalfd_siginfo si;
            if (read(sfd, &si, sizeof si) == sizeof si) {
                if ((int)si.ssi_signo == SIGWINCH)
                    send_size(a);
                else if (!tty && id)
                    berth_container_kill(e, id, berth_signal_name((int)si.ssi_signo), NULL);
            }
        }
        if (pfd[1].revents) {
            ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
            if (n > 0) {
                size_t pass = berth_detach_keys_scan(&keys, buf, (size_t)n, &detached);
                if (pass)
                    berth_attach_write(a, buf, pass, &err);
                if (detached)
                    break; /* the container runs on */
            } else if (n == 0 || errno != EINTR) {
                stdin_open = false;
                berth_attach_close_stdin(a, &err);
            }
        }
        if (pfd[0].revents) {
            int stream;
            ssize_t n = berth_attach_read(a, &stream, buf, sizeof buf, &err);
            if (n <= 0)
                break;
            write_all(stream == BERTH_STREAM_STDERR ? STDERR_FILENO : STDOUT_FILENO, buf, n);
        }
    }
    restore_terminal();
    /* the container is gone (or we detached): signals are ours again */
    sigprocmask(SIG_SETMASK, &saved_mask, NULL);
    if (detached)
        return 0;
    int code = berth_attach_exit_code(a);
    if (code < 0 && id) {
        /* the monitor ended without a word: the state database knows */
        if (berth_container_wait(e, id, BERTH_WAIT_NOT_RUNNING, -1, &code, &err) < 0)
            code = 125;
    }
    return code;
}

static int run_attached(berth_engine *e, const char *id, const struct run_flags *f)
{
    bool tty = f->tty, interactive = f->interactive, rm = f->rm;
    berth_detach_keys keys;
    berth_error err = BERTH_ERROR_INIT;
    if (berth_detach_keys_parse(f->detach_keys, &keys, &err) < 0) {
        fprintf(stderr, "berth: Error: %s.\n", err.message);
        return 125;
    }
    berth_attach_opts ao = BERTH_ATTACH_OPTS_INIT;
    ao.attach_stdin = interactive;
    berth_attach *a = NULL;
    berth_start_opts so = BERTH_START_OPTS_INIT;
    so.attach = &ao;
    so.attach_out = &a;
    if (berth_container_start(e, id, &so, &err) < 0) {
        fprintf(stderr, "berth: Error: %s.\n", err.message);
        if (rm) {
            berth_remove_opts ro = BERTH_REMOVE_OPTS_INIT;
            ro.force = true;
            berth_container_remove(e, id, &ro, NULL);
        }
        return start_failure_code(err.message);
    }
    struct stream_opts sopts = { tty, interactive, f->sig_proxy, &keys };
    int code = cli_stream_with(e, id, a, &sopts);
    berth_attach_free(a);
    return code;
}

int cmd_run(berth_engine *e, int argc, char **argv)
{
    struct run_flags f;
    _cleanup_strv_ char **pos = NULL;
    if (parse_create(cli_find_cmd("run"), argc, argv, &f, true, &pos) < 0) {
        free_flags(&f);
        return 125;
    }
    _cleanup_free_ char *id = NULL;
    int r = create_container(e, &f, pos, &id);
    if (r) {
        free_flags(&f);
        return r;
    }
    if (f.detach) {
        berth_error err = BERTH_ERROR_INIT;
        if (berth_container_start(e, id, NULL, &err) < 0) {
            fprintf(stderr, "berth: Error: %s.\n", err.message);
            free_flags(&f);
            return start_failure_code(err.message);
        }
        printf("%s\n", id);
        free_flags(&f);
        return 0;
    }
    r = run_attached(e, id, &f);
    free_flags(&f);
    return r;
}

int cmd_start(berth_engine *e, int argc, char **argv)
{
    bool attach = false, interactive = false;
    struct opt opts[] = {
        { "attach", 'a', OPT_BOOL, &attach, NULL, "Attach STDOUT/STDERR and forward signals" },
        { "interactive", 'i', OPT_BOOL, &interactive, NULL, "Attach container's STDIN" },
        { NULL, 0, 0, NULL, NULL, NULL },
    };
    _cleanup_strv_ char **pos = NULL;
    const struct cmd *cmd = cli_find_cmd("start");
    if (opts_parse(cmd, opts, argc, argv, false, &pos) < 0)
        return 1;
    if (!pos) {
        fprintf(stderr, "\"berth start\" requires at least 1 argument.\n");
        return 1;
    }
    berth_error err = BERTH_ERROR_INIT;
    if (attach || interactive) {
        if (strv_length(pos) > 1)
            return cli_failf("you cannot start and attach multiple containers at once");
        char *inspect = NULL;
        if (berth_container_inspect(e, pos[0], &inspect, &err) < 0)
            return cli_fail(&err);
        json_t *doc = json_loads(inspect, 0, NULL);
        free(inspect);
        bool tty = json_is_true(json_object_get(json_object_get(doc, "Config"), "Tty"));
        const char *id = json_string_value(json_object_get(doc, "Id"));
        char *idc = xstrdup(id);
        json_decref(doc);
        berth_attach_opts ao = BERTH_ATTACH_OPTS_INIT;
        ao.attach_stdin = interactive;
        berth_attach *a = NULL;
        berth_start_opts so = BERTH_START_OPTS_INIT;
        so.attach = &ao;
        so.attach_out = &a;
        if (berth_container_start(e, idc, &so, &err) < 0) {
            free(idc);
            return cli_fail(&err);
        }
        int code = cli_stream(e, idc, a, tty, interactive);
        berth_attach_free(a);
        free(idc);
        return code;
    }
    int rc = 0;
    for (size_t i = 0; pos[i]; i++) {
        int r = berth_container_start(e, pos[i], NULL, &err);
        if (r < 0 && r != BERTH_ENOTMODIFIED) {
            cli_fail(&err);
            rc = 1;
            continue;
        }
        printf("%s\n", pos[i]);
    }
    return rc;
}
