/* monproto.c - framing and socket helpers for the monitor protocol. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "monproto.h"
#include "util.h"

int mp_send(int fd, uint8_t type, const void *payload, uint32_t len)
{
    unsigned char hdr[MP_HDR_LEN];
    mp_header(hdr, type, len);
    struct iovec iov[2] = { { hdr, sizeof hdr }, { (void *)payload, len } };
    size_t total = sizeof hdr + len, done = 0;
    int n_iov = len ? 2 : 1;
    while (done < total) {
        struct msghdr msg = { 0 };
        struct iovec cur[2];
        int k = 0;
        size_t skip = done;
        for (int i = 0; i < n_iov; i++) {
            if (skip >= iov[i].iov_len) {
                skip -= iov[i].iov_len;
                continue;
            }
            cur[k].iov_base = (char *)iov[i].iov_base + skip;
            cur[k].iov_len = iov[i].iov_len - skip;
            skip = 0;
            k++;
        }
        msg.msg_iov = cur;
        msg.msg_iovlen = k;
        ssize_t w = sendmsg(fd, &msg, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        done += w;
    }
    return 0;
}

int mp_recv(int fd, uint8_t *type, void **payload, uint32_t *len)
{
    unsigned char hdr[MP_HDR_LEN];
    ssize_t n = read_all(fd, hdr, sizeof hdr);
    if (n < 0)
        return (int)n;
    if (n == 0)
        return 0;
    if (n != MP_HDR_LEN)
        return -EPROTO;
    uint32_t l = mp_get_u32(hdr + 4);
    if (l > MP_MAX_FRAME)
        return -EPROTO;
    void *p = NULL;
    if (l) {
        p = xmalloc(l);
        n = read_all(fd, p, l);
        if (n != (ssize_t)l) {
            free(p);
            return n < 0 ? (int)n : -EPROTO;
        }
    }
    *type = hdr[0];
    *payload = p;
    *len = l;
    return 1;
}

static int sockaddr_at(struct sockaddr_un *sa, int dirfd, const char *name)
{
    memset(sa, 0, sizeof *sa);
    sa->sun_family = AF_UNIX;
    int n = snprintf(sa->sun_path, sizeof sa->sun_path, "/proc/self/fd/%d/%s", dirfd, name);
    return n < 0 || (size_t)n >= sizeof sa->sun_path ? -ENAMETOOLONG : 0;
}

int mp_bind_at(int sock, int dirfd, const char *name)
{
    struct sockaddr_un sa;
    int r = sockaddr_at(&sa, dirfd, name);
    if (r < 0)
        return r;
    unlinkat(dirfd, name, 0);
    if (bind(sock, (struct sockaddr *)&sa, sizeof sa) < 0)
        return -errno;
    return 0;
}

int mp_connect(const char *rundir)
{
    _cleanup_close_ int dfd = open(rundir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return -errno;
    struct sockaddr_un sa;
    int r = sockaddr_at(&sa, dfd, "monitor.sock");
    if (r < 0)
        return r;
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return -errno;
    if (connect(s, (struct sockaddr *)&sa, sizeof sa) < 0) {
        int e = errno;
        close(s);
        return -e;
    }
    return s;
}
