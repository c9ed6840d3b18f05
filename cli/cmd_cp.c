/* cmd_cp.c - berth cp and berth export. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "util.h"

/* docker's splitCpArg: "CONTAINER:PATH", or a local path (absolute, or
 * without a colon). */
static bool split_arg(const char *arg, char **ctr, const char **path)
{
    const char *colon = strchr(arg, ':');
    if (arg[0] == '/' || arg[0] == '.' || !colon) {
        *ctr = NULL;
        *path = arg;
        return false;
    }
    *ctr = xstrndup(arg, colon - arg);
    *path = colon + 1;
    return true;
}

int cmd_cp(berth_engine *e, int argc, char **argv)
{
    bool archive = false, follow = false, quiet = false;
    struct opt opts[] = {
        { "archive", 'a', OPT_BOOL, &archive, NULL, "Archive mode (copy all uid/gid information)" },
        { "follow-link", 'L', OPT_BOOL, &follow, NULL, "Always follow symbol link in SRC_PATH" },
        { "quiet", 'q', OPT_BOOL, &quiet, NULL, "Suppress progress output" },
        { NULL, 0, 0, NULL, NULL, NULL },
    };
    _cleanup_strv_ char **pos = NULL;
    if (opts_parse(cli_find_cmd("cp"), opts, argc, argv, false, &pos) < 0)
        return 1;
    if (strv_length(pos) != 2) {
        fprintf(stderr, "\"berth cp\" requires exactly 2 arguments.\n");
        return 1;
    }
    _cleanup_free_ char *src_ctr = NULL, *dst_ctr = NULL;
    const char *src, *dst;
    split_arg(pos[0], &src_ctr, &src);
    split_arg(pos[1], &dst_ctr, &dst);
    if (src_ctr && dst_ctr)
        return cli_failf("copying between containers is not supported");
    if (!src_ctr && !dst_ctr)
        return cli_failf("must specify at least one container source");
    if ((src_ctr && !*src) || (dst_ctr && !*dst))
        return cli_failf("filepath cannot be empty");
    berth_error err = BERTH_ERROR_INIT;
    int r;
    if (src_ctr && strcmp(dst, "-") == 0) {
        if (isatty(STDOUT_FILENO))
            return cli_failf("cowardly refusing to write a tar to a terminal");
        const char *path = src;
        char *stat = NULL;
        _cleanup_free_ char *target = NULL;
        if (follow && berth_container_archive_stat(e, src_ctr, src, &stat, &err) == 0) {
            /* -L: a symlink's target, as the docker CLI asks for it */
            json_t *doc = json_loads(stat, 0, NULL);
            const char *lt = json_string_value(json_object_get(doc, "linkTarget"));
            if (lt && *lt) {
                target = xstrdup(lt);
                path = target;
            }
            json_decref(doc);
            berth_free(stat);
        }
        r = berth_container_archive_get(e, src_ctr, path, STDOUT_FILENO, NULL, NULL, &err);
    } else if (src_ctr) {
        r = berth_container_copy_from(e, src_ctr, src, dst, follow, &err);
    } else if (strcmp(src, "-") == 0) {
        berth_archive_put_opts o = BERTH_ARCHIVE_PUT_OPTS_INIT;
        o.copy_uid_gid = archive;
        r = berth_container_archive_put(e, dst_ctr, dst, STDIN_FILENO, &o, &err);
    } else {
        r = berth_container_copy_to(e, dst_ctr, src, dst, follow, archive, &err);
    }
    return r < 0 ? cli_fail(&err) : 0;
}

int cmd_export(berth_engine *e, int argc, char **argv)
{
    const char *output = NULL;
    struct opt opts[] = {
        { "output", 'o', OPT_STR, &output, "string", "Write to a file, instead of STDOUT" },
        { NULL, 0, 0, NULL, NULL, NULL },
    };
    _cleanup_strv_ char **pos = NULL;
    if (opts_parse(cli_find_cmd("export"), opts, argc, argv, false, &pos) < 0)
        return 1;
    if (strv_length(pos) != 1) {
        fprintf(stderr, "\"berth export\" requires exactly 1 argument.\n");
        return 1;
    }
    _cleanup_free_ char *tmp = NULL;
    int fd = cli_output_open(output, &tmp);
    if (fd < 0)
        return 1;
    berth_error err = BERTH_ERROR_INIT;
    int r = berth_container_export(e, pos[0], fd, &err);
    return cli_output_finish(fd, output, tmp, r, &err);
}
