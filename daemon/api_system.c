/* api_system.c - /_ping, /version, /info, and the endpoint families berth
 * does not serve: swarm ones answer 503 "not a swarm manager" (clients read
 * that as "no swarm"), others 501 with a message, never a hang. */
#include <stdio.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "berthd.h"
#include "cgroups.h"

static int ping(struct req *r)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(2, "OK", MHD_RESPMEM_PERSISTENT);
    add_common_headers(resp);
    MHD_add_response_header(resp, "Content-Type", "text/plain; charset=utf-8");
    MHD_add_response_header(resp, "Builder-Version", "1");
    MHD_add_response_header(resp, "Swarm", "inactive");
    MHD_add_response_header(resp, "Cache-Control", "no-cache, no-store, must-revalidate");
    MHD_add_response_header(resp, "Pragma", "no-cache");
    int ret = MHD_queue_response(r->conn, 200, resp);
    MHD_destroy_response(resp);
    r->responded = true;
    return ret;
}

static int version(struct req *r)
{
    struct utsname u;
    uname(&u);
    json_t *engine = json_pack("{s:s, s:s, s:{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}}",
                               "Name", "Engine", "Version", BERTH_VERSION, "Details", "ApiVersion",
                               API_VERSION, "Arch", "amd64", "BuildTime", "", "Experimental",
                               "false", "GitCommit", "", "GoVersion", "none (C)", "KernelVersion",
                               u.release, "MinAPIVersion", API_MIN_VERSION, "Os", "linux");
    json_t *doc = json_pack("{s:{s:s}, s:[o], s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
                            "Platform", "Name", "berth", "Components", engine, "Version",
                            BERTH_VERSION, "ApiVersion", API_VERSION, "MinAPIVersion",
                            API_MIN_VERSION, "GitCommit", "", "GoVersion", "none (C)", "Os",
                            "linux", "Arch", "amd64", "KernelVersion", u.release, "BuildTime", "");
    return reply_json(r, 200, doc);
}

static char *os_name(void)
{
    _cleanup_free_ char *c = NULL;
    if (read_file("/etc/os-release", &c, NULL) == 0) {
        char *p = strstr(c, "PRETTY_NAME=");
        if (p) {
            p += 12;
            if (*p == '"')
                p++;
            char *end = strpbrk(p, "\"\n");
            if (end)
                *end = '\0';
            return xstrdup(p);
        }
    }
    return xstrdup("Linux");
}

static int info(struct req *r)
{
    berth_error err = BERTH_ERROR_INIT;
    char *list = NULL;
    berth_list_opts lo = BERTH_LIST_OPTS_INIT;
    lo.all = true;
    if (berth_container_list(r->engine, &lo, &list, &err) < 0)
        return reply_error(r, &err);
    json_t *ctrs = json_loads(list, 0, NULL);
    free(list);
    int running = 0, paused = 0, stopped = 0;
    size_t i;
    json_t *c;
    json_array_foreach(ctrs, i, c)
    {
        const char *state = json_string_value(json_object_get(c, "State"));
        if (state && strcmp(state, "paused") == 0)
            paused++;
        else if (state && (strcmp(state, "running") == 0 || strcmp(state, "restarting") == 0))
            running++;
        else
            stopped++;
    }
    size_t n_ctrs = json_array_size(ctrs);
    json_decref(ctrs);
    berth_image_list_opts io = BERTH_IMAGE_LIST_OPTS_INIT;
    io.all = true;
    char *imgs = NULL;
    if (berth_image_list(r->engine, &io, &imgs, &err) < 0)
        return reply_error(r, &err);
    json_t *images = json_loads(imgs, 0, NULL);
    free(imgs);
    size_t n_images = json_array_size(images);
    json_decref(images);

    struct utsname u;
    uname(&u);
    struct sysinfo si;
    sysinfo(&si);
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    char now[48];
    format_rfc3339nano(now_ns(), now, sizeof now);
    _cleanup_free_ char *os = os_name();
    char *rts = berth_engine_runtimes_json(r->engine);
    json_t *runtimes = json_loads(rts, 0, NULL);
    berth_free(rts);
    json_t *doc = json_pack(
        "{s:s, s:I, s:i, s:i, s:i, s:I, s:s, s:[[s,s]], s:{s:[s], s:[s,s,s], s:[s]},"
        " s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:s}",
        "ID", "berth", "Containers", (json_int_t)n_ctrs, "ContainersRunning", running,
        "ContainersPaused", paused, "ContainersStopped", stopped, "Images", (json_int_t)n_images,
        "Driver", "overlay2", "DriverStatus", "Backing Filesystem", "extfs", "Plugins", "Volume",
        "local", "Network", "host", "none", "null", "Log", "json-file",
        /* resource limits are not implemented yet: say so */
        "MemoryLimit", 0, "SwapLimit", 0, "KernelMemory", 0, "CpuCfsPeriod", 0, "CpuCfsQuota", 0,
        "CPUShares", 0, "CPUSet", 0, "PidsLimit", 0, "IPv4Forwarding", 0, "BridgeNfIptables", 0,
        "BridgeNfIp6tables", 0, "Debug", 0, "OomKillDisable", 0, "SystemTime", now);
    json_t *more = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:I, s:s, s:s, s:[], s:b,"
        " s:s, s:o, s:s, s:{s:s, s:s, s:s, s:b, s:s, s:n}, s:b, s:s, s:[], s:[], s:i, s:i}",
        "LoggingDriver", "json-file", "CgroupDriver", "cgroupfs", "CgroupVersion",
        cgroup_is_v2() ? "2" : "1", "KernelVersion", u.release, "OperatingSystem", os, "OSVersion",
        "", "OSType", "linux", "Architecture", u.machine, "IndexServerAddress",
        "https://index.docker.io/v1/", "NCPU", (int)sysconf(_SC_NPROCESSORS_ONLN), "MemTotal",
        (json_int_t)si.totalram * (json_int_t)si.mem_unit, "DockerRootDir",
        berth_engine_root(r->engine), "Name", host, "Labels", "ExperimentalBuild", 0,
        "ServerVersion", BERTH_VERSION, "Runtimes", runtimes ? runtimes : json_object(),
        "DefaultRuntime", berth_engine_default_runtime(r->engine), "Swarm", "NodeID", "",
        "NodeAddr", "", "LocalNodeState", "inactive", "ControlAvailable", 0, "Error", "",
        "RemoteManagers", "LiveRestoreEnabled", 1, "Isolation", "", "SecurityOptions", "Warnings",
        "NFd", 0, "NGoroutines", 0);
    json_object_update(doc, more);
    json_decref(more);
    return reply_json(r, 200, doc);
}

static int not_swarm(struct req *r)
{
    return reply_message(r, 503,
                         "This node is not a swarm manager. Use \"docker swarm init\" or "
                         "\"docker swarm join\" to connect this node to swarm and try again.");
}

/* berth has no plugins and no network objects (a container has its own
 * namespace, the host's, or none): lookups find nothing, as a client that
 * searches every kind of object by name (docker inspect) expects. */
static int no_plugins(struct req *r)
{
    return reply_json_text(r, 200, xstrdup("[]"));
}

static int no_such_plugin(struct req *r)
{
    const char *name = r->params[0];
    size_t n = strlen(name);
    if (n > 5 && strcmp(name + n - 5, "/json") == 0)
        n -= 5;
    return reply_message(r, 404, "plugin \"%.*s\" not found", (int)n, name);
}

static int no_such_network(struct req *r)
{
    return reply_message(r, 404, "network %s not found", r->params[0]);
}

#define NOT_SWARM(m, p)                                                                            \
    {                                                                                              \
        m, p, not_swarm, BODY_NONE                                                                 \
    }
#define NOT_IMPL(m, p)                                                                             \
    {                                                                                              \
        m, p, reply_not_implemented, BODY_NONE                                                     \
    }

const struct route system_routes[] = {
    { "GET", "/_ping", ping, BODY_NONE },
    { "GET", "/version", version, BODY_NONE },
    { "GET", "/info", info, BODY_NONE },
    NOT_SWARM("GET", "/swarm"),
    NOT_SWARM("POST", "/swarm/{*}"),
    NOT_SWARM("GET", "/swarm/{*}"),
    NOT_SWARM("GET", "/nodes"),
    NOT_SWARM("GET", "/nodes/{*}"),
    NOT_SWARM("POST", "/nodes/{*}"),
    NOT_SWARM("DELETE", "/nodes/{*}"),
    NOT_SWARM("GET", "/services"),
    NOT_SWARM("GET", "/services/{*}"),
    NOT_SWARM("POST", "/services/{*}"),
    NOT_SWARM("DELETE", "/services/{*}"),
    NOT_SWARM("GET", "/tasks"),
    NOT_SWARM("GET", "/tasks/{*}"),
    NOT_SWARM("GET", "/secrets"),
    NOT_SWARM("GET", "/secrets/{*}"),
    NOT_SWARM("POST", "/secrets/{*}"),
    NOT_SWARM("DELETE", "/secrets/{*}"),
    NOT_SWARM("GET", "/configs"),
    NOT_SWARM("GET", "/configs/{*}"),
    NOT_SWARM("POST", "/configs/{*}"),
    NOT_SWARM("DELETE", "/configs/{*}"),
    { "GET", "/plugins", no_plugins, BODY_NONE },
    { "GET", "/plugins/{*}", no_such_plugin, BODY_NONE },
    { "GET", "/networks/{*}", no_such_network, BODY_NONE },
    NOT_IMPL("POST", "/build"),
    NOT_IMPL("POST", "/build/{*}"),
    NOT_IMPL("POST", "/plugins/{*}"),
    NOT_IMPL("DELETE", "/plugins/{*}"),
    NOT_IMPL("GET", "/networks"),
    NOT_IMPL("POST", "/networks/{*}"),
    NOT_IMPL("DELETE", "/networks/{*}"),

    NOT_IMPL("GET", "/system/df"),
    NOT_IMPL("POST", "/session"),
    NOT_IMPL("POST", "/auth"),
    NOT_IMPL("GET", "/distribution/{*}"),
    { NULL, NULL, NULL, BODY_NONE },
};
