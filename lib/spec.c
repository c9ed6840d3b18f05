/* spec.c - building config.json the way Docker would for the same
 * container, so that a container behaves the same under berth. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "caps_table.h"
#include "container_config.h"
#include "spec.h"
#include "util.h"

const char *const spec_default_caps[] = {
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_FSETID",
    "CAP_FOWNER",
    "CAP_MKNOD",
    "CAP_NET_RAW",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETFCAP",
    "CAP_SETPCAP",
    "CAP_NET_BIND_SERVICE",
    "CAP_SYS_CHROOT",
    "CAP_KILL",
    "CAP_AUDIT_WRITE",
    NULL,
};

static const char *const masked_paths[] = {
    "/proc/asound",
    "/proc/acpi",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/sys/firmware",
    "/sys/devices/virtual/powercap",
};

static const char *const readonly_paths[] = {
    "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

void spec_host_probe(struct spec_host *h)
{
    memset(h, 0, sizeof *h);
    h->cgroup_v2 = false;
    _cleanup_free_ char *status = NULL;
    h->capbnd = ~0ULL;
    if (read_file("/proc/self/status", &status, NULL) == 0) {
        char *p = strstr(status, "CapBnd:");
        if (p)
            h->capbnd = strtoull(p + 7, NULL, 16);
    }
    _cleanup_free_ char *last = NULL;
    h->cap_last = (int)ARRAY_SIZE(cap_names) - 1;
    if (read_file("/proc/sys/kernel/cap_last_cap", &last, NULL) == 0)
        h->cap_last = atoi(last);
}

static int cap_number(const char *name)
{
    const char *n = strncasecmp(name, "CAP_", 4) == 0 ? name + 4 : name;
    for (size_t i = 0; i < ARRAY_SIZE(cap_names); i++)
        if (cap_names[i][0] && strcasecmp(cap_names[i] + 4, n) == 0)
            return (int)i;
    return -1;
}

static bool host_has(const struct spec_host *h, int cap)
{
    return cap >= 0 && cap <= h->cap_last && cap < 64 && (h->capbnd >> cap) & 1;
}

json_t *spec_capabilities(const json_t *hostconfig, const struct spec_host *host)
{
    bool set[64] = { false };
    for (size_t i = 0; spec_default_caps[i]; i++) {
        int n = cap_number(spec_default_caps[i]);
        if (n >= 0)
            set[n] = true;
    }
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(hostconfig, "CapAdd"), i, v)
    {
        const char *s = json_string_value(v);
        if (strcasecmp(s, "ALL") == 0) {
            for (int k = 0; k < 64; k++)
                set[k] = true;
        } else {
            int n = cap_number(s);
            if (n >= 0 && n < 64)
                set[n] = true;
        }
    }
    json_array_foreach(json_object_get(hostconfig, "CapDrop"), i, v)
    {
        const char *s = json_string_value(v);
        if (strcasecmp(s, "ALL") == 0) {
            memset(set, 0, sizeof set);
        } else {
            int n = cap_number(s);
            if (n >= 0 && n < 64)
                set[n] = false;
        }
    }
    json_t *caps = json_array();
    for (int k = 0; k < 64 && k < (int)ARRAY_SIZE(cap_names); k++)
        if (set[k] && host_has(host, k) && cap_names[k][0])
            json_array_append_new(caps, json_string(cap_names[k]));
    return caps;
}

static json_t *mount(const char *dest, const char *type, const char *src, const char *opts)
{
    json_t *o = json_array();
    _cleanup_free_ char *copy = xstrdup(opts);
    char *save = NULL;
    for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
        json_array_append_new(o, json_string(t));
    return json_pack("{s:s, s:s, s:s, s:o}", "destination", dest, "type", type, "source", src,
                     "options", o);
}

static json_t *device_rule(bool allow, const char *type, long major, long minor, const char *access)
{
    json_t *d = json_pack("{s:b, s:s}", "allow", allow, "access", access);
    if (type)
        json_object_set_new(d, "type", json_string(type));
    if (major >= 0)
        json_object_set_new(d, "major", json_integer(major));
    if (minor >= 0)
        json_object_set_new(d, "minor", json_integer(minor));
    return d;
}

/* Docker's default device cgroup rules: nothing, then mknod of anything
 * and the standard character devices. */
static json_t *default_devices(void)
{
    json_t *a = json_array();
    json_array_append_new(a, device_rule(false, NULL, -1, -1, "rwm"));
    json_array_append_new(a, device_rule(true, "c", -1, -1, "m"));
    json_array_append_new(a, device_rule(true, "b", -1, -1, "m"));
    static const long chars[][2] = { { 1, 3 }, { 1, 8 }, { 1, 7 },    { 5, 0 }, { 1, 5 },
                                     { 1, 9 }, { 5, 1 }, { 136, -1 }, { 5, 2 }, { 10, 200 } };
    for (size_t i = 0; i < ARRAY_SIZE(chars); i++)
        json_array_append_new(a, device_rule(true, "c", chars[i][0], chars[i][1], "rwm"));
    return a;
}

void spec_env_merge(json_t *env, const json_t *items)
{
    size_t i;
    json_t *v;
    json_array_foreach(items, i, v)
    {
        const char *s = json_string_value(v);
        const char *eq = s ? strchr(s, '=') : NULL;
        if (!eq)
            continue; /* "NAME" alone: nothing to set */
        size_t kl = eq - s;
        bool replaced = false;
        size_t j;
        json_t *w;
        json_array_foreach(env, j, w)
        {
            const char *t = json_string_value(w);
            if (t && strncmp(t, s, kl + 1) == 0) {
                json_array_set(env, j, v);
                replaced = true;
                break;
            }
        }
        if (!replaced)
            json_array_append(env, v);
    }
}

/* Docker's environment: PATH, HOSTNAME and (with a TTY) TERM, then the
 * container's own variables replacing those, then HOME if still unset. */
static json_t *process_env(const json_t *config, const struct exec_user *user)
{
    json_t *env = json_array();
    json_array_append_new(env, json_string("PATH=" DEFAULT_PATH));
    char *h = xasprintf("HOSTNAME=%s", json_get_str(config, "Hostname", ""));
    json_array_append_new(env, json_string(h));
    free(h);
    if (json_get_bool(config, "Tty"))
        json_array_append_new(env, json_string("TERM=xterm"));
    spec_env_merge(env, json_object_get(config, "Env"));
    if (!env_lookup(env, "HOME")) {
        char *home = xasprintf("HOME=%s", user->home ? user->home : "/");
        json_array_append_new(env, json_string(home));
        free(home);
    }
    return env;
}

static size_t depth(const json_t *m)
{
    size_t d = 0;
    for (const char *p = json_string_value(json_object_get(m, "destination")); p && *p; p++)
        if (*p == '/')
            d++;
    return d;
}

/* Parents before children, otherwise in order (as Docker sorts mounts): a
 * volume at /etc must not hide the /etc/hosts mounted on it. */
static void sort_by_depth(json_t *mounts)
{
    size_t n = json_array_size(mounts);
    for (size_t i = 1; i < n; i++) {
        json_t *m = json_incref(json_array_get(mounts, i));
        size_t j = i;
        while (j > 0 && depth(json_array_get(mounts, j - 1)) > depth(m)) {
            json_array_set(mounts, j, json_array_get(mounts, j - 1));
            j--;
        }
        json_array_set_new(mounts, j, m);
    }
}

json_t *spec_user(const struct exec_user *user)
{
    json_t *juser =
        json_pack("{s:I, s:I}", "uid", (json_int_t)user->uid, "gid", (json_int_t)user->gid);
    if (user->n_groups) {
        json_t *gids = json_array();
        for (size_t i = 0; i < user->n_groups; i++)
            json_array_append_new(gids, json_integer(user->groups[i]));
        json_object_set_new(juser, "additionalGids", gids);
    }
    return juser;
}

json_t *spec_build(const struct ctr *c, const struct exec_user *user, const char *ctrdir,
                   const char *rootfs, const struct spec_host *host)
{
    const json_t *cfg = c->config, *hc = c->hostconfig;
    bool tty = json_get_bool(cfg, "Tty");
    const char *netmode = json_get_str(hc, "NetworkMode", "default");
    bool host_net = strcmp(netmode, "host") == 0;

    json_t *args = json_array();
    json_array_append_new(args, json_string(c->path));
    json_array_extend(args, c->args);

    json_t *juser = spec_user(user);

    const char *cwd = json_get_str(cfg, "WorkingDir", "");
    json_t *caps = spec_capabilities(hc, host);
    json_t *process = json_pack("{s:b, s:o, s:o, s:o, s:s, s:{s:O, s:O, s:O}, s:b}", "terminal",
                                tty, "user", juser, "args", args, "env", process_env(cfg, user),
                                "cwd", *cwd ? cwd : "/", "capabilities", "bounding", caps,
                                "effective", caps, "permitted", caps, "noNewPrivileges", 0);
    json_decref(caps);
    json_t *console = json_object_get(hc, "ConsoleSize");
    if (tty && json_array_size(console) == 2 && json_integer_value(json_array_get(console, 0)) > 0)
        json_object_set_new(process, "consoleSize",
                            json_pack("{s:I, s:I}", "height",
                                      json_integer_value(json_array_get(console, 0)), "width",
                                      json_integer_value(json_array_get(console, 1))));

    json_int_t shm = json_integer_value(json_object_get(hc, "ShmSize"));
    if (shm <= 0)
        shm = 67108864;
    _cleanup_free_ char *shm_opts =
        xasprintf("nosuid,noexec,nodev,mode=1777,size=%lld", (long long)shm);
    json_t *mounts = json_array();
    json_array_append_new(mounts, mount("/proc", "proc", "proc", "nosuid,noexec,nodev"));
    json_array_append_new(
        mounts, mount("/dev", "tmpfs", "tmpfs", "nosuid,strictatime,mode=755,size=65536k"));
    json_array_append_new(mounts, mount("/dev/pts", "devpts", "devpts",
                                        "nosuid,noexec,newinstance,ptmxmode=0666,mode=0620,gid=5"));
    json_array_append_new(mounts, mount("/sys", "sysfs", "sysfs", "nosuid,noexec,nodev,ro"));
    json_array_append_new(mounts,
                          mount("/sys/fs/cgroup", "cgroup", "cgroup", "ro,nosuid,noexec,nodev"));
    json_array_append_new(mounts, mount("/dev/mqueue", "mqueue", "mqueue", "nosuid,noexec,nodev"));
    json_array_append_new(mounts, mount("/dev/shm", "tmpfs", "shm", shm_opts));
    size_t i;
    json_t *m;
    static const char *const etc_files[] = { "resolv.conf", "hostname", "hosts" };
    for (size_t i = 0; i < ARRAY_SIZE(etc_files); i++) {
        _cleanup_free_ char *dest = xasprintf("/etc/%s", etc_files[i]);
        _cleanup_free_ char *src = xasprintf("%s/%s", ctrdir, etc_files[i]);
        json_array_append_new(mounts, mount(dest, "bind", src, "rbind,rprivate"));
    }

    /* volumes, after the defaults so they can cover any of them */
    json_array_foreach(c->mounts, i, m)
    {
        bool rw = json_is_true(json_object_get(m, "RW"));
        json_array_append_new(mounts, mount(json_get_str(m, "Destination", ""), "bind",
                                            json_get_str(m, "Source", ""),
                                            rw ? "rbind,rprivate" : "rbind,rprivate,ro"));
    }

    sort_by_depth(mounts);

    json_t *ns = json_array();
    const char *kinds[] = { "pid", "ipc", "uts", "mount" };
    for (size_t i = 0; i < ARRAY_SIZE(kinds); i++)
        json_array_append_new(ns, json_pack("{s:s}", "type", kinds[i]));
    if (!host_net)
        json_array_append_new(ns, json_pack("{s:s}", "type", "network"));
    const char *cgns = json_get_str(hc, "CgroupnsMode", "");
    if (strcmp(cgns, "private") == 0 || (host->cgroup_v2 && strcmp(cgns, "host") != 0))
        json_array_append_new(ns, json_pack("{s:s}", "type", "cgroup"));

    json_t *masked = json_array(), *ro = json_array();
    for (size_t i = 0; i < ARRAY_SIZE(masked_paths); i++)
        json_array_append_new(masked, json_string(masked_paths[i]));
    for (size_t i = 0; i < ARRAY_SIZE(readonly_paths); i++)
        json_array_append_new(ro, json_string(readonly_paths[i]));

    _cleanup_free_ char *cgpath = xasprintf("/berth/%s", c->id);
    json_t *linux_ = json_pack("{s:o, s:o, s:o, s:{s:o}, s:s}", "namespaces", ns, "maskedPaths",
                               masked, "readonlyPaths", ro, "resources", "devices",
                               default_devices(), "cgroupsPath", cgpath);

    json_t *spec =
        json_pack("{s:s, s:o, s:{s:s, s:b}, s:s, s:o, s:o}", "ociVersion", "1.0.2", "process",
                  process, "root", "path", rootfs, "readonly", json_get_bool(hc, "ReadonlyRootfs"),
                  "hostname", json_get_str(cfg, "Hostname", ""), "mounts", mounts, "linux", linux_);
    const char *domain = json_get_str(cfg, "Domainname", "");
    if (*domain)
        json_object_set_new(spec, "domainname", json_string(domain));
    return spec;
}
