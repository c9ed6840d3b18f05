/* berthd - the Docker Engine API for berth.
 *
 * Listens on a unix socket (default unix:///run/berth/berth.sock, mode
 * 0660) and optionally on TCP on the loopback interface (no TLS yet, so
 * nothing else). Stops cleanly on SIGTERM or SIGINT without touching any
 * container: they are held by their monitors, not by berthd. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "berthd.h"

static void usage(FILE *out)
{
    fprintf(out, "Usage: berthd [OPTIONS]\n\n"
                 "The Docker Engine API for berth.\n\n"
                 "Options:\n"
                 "  -H, --host ADDR          unix:///path or tcp://127.0.0.1:PORT (repeatable;\n"
                 "                           default unix:///run/berth/berth.sock)\n"
                 "      --root DIR           state root (default $BERTH_ROOT or /var/lib/berth)\n"
                 "      --runroot DIR        run root (default $BERTH_RUNROOT or /run/berth)\n"
                 "      --runtime NAME       default OCI runtime (default crun)\n"
                 "      --add-runtime N=P    another OCI runtime by name (repeatable)\n"
                 "      --help               print this\n"
                 "      --version            print the version\n");
}

static int listen_unix(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof sa.sun_path) {
        fprintf(stderr, "berthd: socket path too long: %s\n", path);
        return -1;
    }
    strcpy(sa.sun_path, path);
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return -1;
    /* a socket left by a berthd that died is replaced; a live one is not */
    if (connect(s, (struct sockaddr *)&sa, sizeof sa) == 0) {
        fprintf(stderr, "berthd: %s is in use by another daemon\n", path);
        close(s);
        return -1;
    }
    struct stat st;
    if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
        unlink(path);
    _cleanup_free_ char *dir = xstrdup(path);
    char *slash = strrchr(dir, '/');
    if (slash && slash != dir) {
        *slash = '\0';
        mkdir_p(dir, 0711);
    }
    if (bind(s, (struct sockaddr *)&sa, sizeof sa) < 0 || chmod(path, 0660) < 0 ||
        listen(s, 128) < 0) {
        fprintf(stderr, "berthd: cannot listen on %s: %s\n", path, strerror(errno));
        close(s);
        return -1;
    }
    return s;
}

static int listen_tcp(const char *hostport)
{
    _cleanup_free_ char *copy = xstrdup(hostport);
    char *colon = strrchr(copy, ':');
    if (!colon) {
        fprintf(stderr, "berthd: tcp address needs a port: %s\n", hostport);
        return -1;
    }
    *colon = '\0';
    struct sockaddr_in sa = { .sin_family = AF_INET };
    const char *host = *copy ? copy : "127.0.0.1";
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
        fprintf(stderr, "berthd: not an IPv4 address: %s\n", host);
        return -1;
    }
    if ((ntohl(sa.sin_addr.s_addr) >> 24) != 127) {
        fprintf(stderr,
                "berthd: refusing to listen on %s without TLS: use a loopback "
                "address\n",
                host);
        return -1;
    }
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end || port <= 0 || port > 65535) {
        fprintf(stderr, "berthd: bad port: %s\n", colon + 1);
        return -1;
    }
    sa.sin_port = htons((uint16_t)port);
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(s, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(s, 128) < 0) {
        fprintf(stderr, "berthd: cannot listen on %s: %s\n", hostport, strerror(errno));
        close(s);
        return -1;
    }
    return s;
}

/* libmicrohttpd is linked with GnuTLS and its helpers, which berthd never
 * uses (no TLS yet): their code, run once at load, need not stay resident. */
static bool tls_library(const char *path, void *userdata)
{
    (void)userdata;
    static const char *const names[] = { "libgnutls", "libp11-kit",   "libtasn1",
                                         "libnettle", "libhogweed",   "libgmp",
                                         "libidn2",   "libunistring", "libffi" };
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    for (size_t i = 0; i < ARRAY_SIZE(names); i++)
        if (str_has_prefix(base, names[i]))
            return true;
    return false;
}

int main(int argc, char **argv)
{
    berth_engine_opts eo = BERTH_ENGINE_OPTS_INIT;
    _cleanup_strv_ char **hosts = NULL;
    _cleanup_strv_ char **runtimes = NULL;
    enum { O_ROOT = 256, O_RUNROOT, O_RUNTIME, O_ADDRT, O_VERSION, O_HELP };
    static const struct option longopts[] = {
        { "host", required_argument, NULL, 'H' },
        { "root", required_argument, NULL, O_ROOT },
        { "runroot", required_argument, NULL, O_RUNROOT },
        { "runtime", required_argument, NULL, O_RUNTIME },
        { "add-runtime", required_argument, NULL, O_ADDRT },
        { "version", no_argument, NULL, O_VERSION },
        { "help", no_argument, NULL, O_HELP },
        { NULL, 0, NULL, 0 },
    };
    int o;
    while ((o = getopt_long(argc, argv, "H:", longopts, NULL)) != -1) {
        switch (o) {
        case 'H': strv_push(&hosts, optarg); break;
        case O_ROOT: eo.root = optarg; break;
        case O_RUNROOT: eo.runroot = optarg; break;
        case O_RUNTIME: eo.default_runtime = optarg; break;
        case O_ADDRT: strv_push(&runtimes, optarg); break;
        case O_VERSION: printf("berthd version %s, API %s\n", BERTH_VERSION, API_VERSION); return 0;
        case O_HELP: usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc) {
        usage(stderr);
        return 2;
    }
    eo.runtimes = (const char *const *)runtimes;
    signal(SIGPIPE, SIG_IGN);
    /* a thread per connection would otherwise get malloc arenas of its own
     * that keep their memory after the connection is gone */
    mallopt(M_ARENA_MAX, 2);
    berth_error err = BERTH_ERROR_INIT;
    if (engines_init(&eo, &err) < 0) {
        fprintf(stderr, "berthd: %s\n", err.message);
        return 1;
    }
    {
        /* monitors forked by a server instead of executed each time */
        berth_engine *e = engine_get();
        if (berth_monitor_server_start(e, &err) < 0)
            fprintf(stderr, "berthd: %s (monitors will be spawned one by one)\n", err.message);
        engine_put(e);
    }
    if (!hosts) {
        berth_engine *e = engine_get();
        char *def = xasprintf("unix://%s/berth.sock", berth_engine_runroot(e));
        engine_put(e);
        strv_push_take(&hosts, def);
    }
    struct MHD_Daemon *daemons[8];
    size_t n = 0;
    _cleanup_strv_ char **unix_paths = NULL;
    for (size_t i = 0; hosts[i] && n < ARRAY_SIZE(daemons); i++) {
        int fd = -1;
        if (str_has_prefix(hosts[i], "unix://")) {
            fd = listen_unix(hosts[i] + 7);
            if (fd >= 0)
                strv_push(&unix_paths, hosts[i] + 7);
        } else if (str_has_prefix(hosts[i], "tcp://")) {
            fd = listen_tcp(hosts[i] + 6);
        } else {
            fprintf(stderr, "berthd: unsupported address %s (unix:// or tcp://)\n", hosts[i]);
        }
        if (fd < 0)
            return 1;
        daemons[n] = server_start(fd, &err);
        if (!daemons[n]) {
            fprintf(stderr, "berthd: %s\n", err.message);
            return 1;
        }
        fprintf(stderr, "berthd: API %s listening on %s\n", API_VERSION, hosts[i]);
        n++;
    }

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    drop_readonly_pages(tls_library, NULL);
    int sig = 0;
    bool trimmed = true;
    int64_t trimmed_at = 0;
    for (;;) {
        struct timespec tick = { 0, 250 * 1000 * 1000 };
        sig = sigtimedwait(&set, NULL, &tick);
        if (sig > 0)
            break;
        /* idle for a second after some work: give memory back */
        int64_t idle = server_idle_since();
        if (idle > trimmed_at)
            trimmed = false;
        if (!trimmed && idle >= 0 && monotonic_ns() - idle > 1000000000LL) {
            engines_trim(1);
            malloc_trim(0);
            trimmed = true;
            trimmed_at = idle;
        }
    }
    fprintf(stderr, "berthd: %s: stopping (containers keep running)\n", strsignal(sig));
    for (size_t i = 0; i < n; i++) {
        MHD_socket ls = MHD_quiesce_daemon(daemons[i]);
        MHD_stop_daemon(daemons[i]);
        if (ls != MHD_INVALID_SOCKET)
            close(ls);
    }
    for (size_t i = 0; unix_paths && unix_paths[i]; i++)
        unlink(unix_paths[i]);
    engines_free();
    berth_monitor_server_stop();
    return 0;
}
