/* output.c - `-o FILE` for verbs that write an archive (save, export):
 * written to a temporary name and renamed into place only when complete,
 * or to a stdout that is not a terminal. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "util.h"

int cli_output_open(const char *output, char **tmp)
{
    *tmp = NULL;
    if (!output) {
        if (isatty(STDOUT_FILENO)) {
            cli_failf("cowardly refusing to save to a terminal. Use the -o flag or redirect");
            return -1;
        }
        return STDOUT_FILENO;
    }
    *tmp = xasprintf("%s.tmp%d", output, (int)getpid());
    int fd = open(*tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        cli_failf("open %s: %s", output, strerror(errno));
        free(*tmp);
        *tmp = NULL;
    }
    return fd;
}

int cli_output_finish(int fd, const char *output, const char *tmp, int r, const berth_error *err)
{
    if (output) {
        if (close(fd) < 0 && r == 0)
            r = -1;
        if (r == 0 && rename(tmp, output) < 0)
            return cli_failf("rename %s: %s", output, strerror(errno));
        if (r < 0)
            unlink(tmp);
    }
    return r < 0 ? cli_fail(err) : 0;
}
