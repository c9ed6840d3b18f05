/* cmd_logs.c - berth logs: stdout to stdout, stderr to stderr. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "util.h"

struct logs_ctx {
    bool timestamps, follow;
};

static int on_log(void *ud, int stream, int64_t ts, const char *data, size_t len)
{
    struct logs_ctx *c = ud;
    FILE *out = stream == BERTH_STREAM_STDERR ? stderr : stdout;
    if (c->timestamps) {
        char t[48];
        format_rfc3339nano_fixed(ts, t, sizeof t);
        fprintf(out, "%s ", t);
    }
    fwrite(data, 1, len, out);
    if (c->follow)
        fflush(out);
    return ferror(out) ? 1 : 0;
}

int cmd_logs(berth_engine *e, int argc, char **argv)
{
    struct logs_ctx ctx = { false, false };
    const char *tail = NULL, *since = NULL, *until = NULL;
    struct opt opts[] = {
        { "follow", 'f', OPT_BOOL, &ctx.follow, NULL, "Follow log output" },
        { "tail", 'n', OPT_STR, &tail, "string",
          "Number of lines to show from the end of the logs (default \"all\")" },
        { "since", 0, OPT_STR, &since, "string",
          "Show logs since timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m)" },
        { "until", 0, OPT_STR, &until, "string",
          "Show logs before a timestamp or relative (e.g. 42m)" },
        { "timestamps", 't', OPT_BOOL, &ctx.timestamps, NULL, "Show timestamps" },
        { NULL, 0, 0, NULL, NULL, NULL },
    };
    _cleanup_strv_ char **pos = NULL;
    if (opts_parse(cli_find_cmd("logs"), opts, argc, argv, false, &pos) < 0)
        return 1;
    if (strv_length(pos) != 1) {
        fprintf(stderr, "\"berth logs\" requires exactly 1 argument.\nSee 'berth logs --help'.\n");
        return 1;
    }
    berth_logs_opts lo = BERTH_LOGS_OPTS_INIT;
    lo.follow = ctx.follow;
    lo.lines = ctx.timestamps;
    if (tail && strcmp(tail, "all") != 0) {
        char *end;
        long n = strtol(tail, &end, 10);
        if (!*tail || *end)
            return cli_failf("invalid value for --tail: %s", tail);
        lo.tail = n < 0 ? -1 : n;
    }
    int64_t now = now_ns();
    if (since && parse_time_arg(since, now, &lo.since_ns) < 0)
        return cli_failf("invalid value for \"since\": failed to parse value as time or "
                         "duration: \"%s\"",
                         since);
    if (until && parse_time_arg(until, now, &lo.until_ns) < 0)
        return cli_failf("invalid value for \"until\": failed to parse value as time or "
                         "duration: \"%s\"",
                         until);
    static char obuf[1 << 16], ebuf[1 << 16];
    setvbuf(stdout, obuf, _IOFBF, sizeof obuf);
    setvbuf(stderr, ebuf, _IOFBF, sizeof ebuf);
    berth_error err = BERTH_ERROR_INIT;
    int r = berth_container_logs(e, pos[0], &lo, on_log, &ctx, &err);
    fflush(stdout);
    fflush(stderr);
    setvbuf(stderr, NULL, _IONBF, 0);
    if (r < 0)
        return cli_fail(&err);
    return 0;
}
