/* fdpass.c - see fdpass.h. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "fdpass.h"

#define FDPASS_MAX 4

int fdpass_send(int sock, const void *data, size_t len, const int *fds, size_t n)
{
    if (n > FDPASS_MAX)
        return -EINVAL;
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(FDPASS_MAX * sizeof(int))];
    } u;
    memset(&u, 0, sizeof u);
    struct iovec iov = { (void *)data, len };
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
    if (n) {
        msg.msg_control = u.buf;
        msg.msg_controllen = CMSG_SPACE(n * sizeof(int));
        struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(n * sizeof(int));
        memcpy(CMSG_DATA(cm), fds, n * sizeof(int));
    }
    for (;;) {
        ssize_t w = sendmsg(sock, &msg, MSG_NOSIGNAL);
        if (w == (ssize_t)len)
            return 0;
        if (w < 0 && errno == EINTR)
            continue;
        return w < 0 ? -errno : -EIO;
    }
}

ssize_t fdpass_recv(int sock, void *buf, size_t cap, int *fds, size_t max, size_t *n_fds,
                    bool *truncated)
{
    if (max > FDPASS_MAX)
        max = FDPASS_MAX;
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(FDPASS_MAX * sizeof(int))];
    } u;
    struct iovec iov = { buf, cap };
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
    msg.msg_control = u.buf;
    msg.msg_controllen = CMSG_SPACE(max * sizeof(int));
    ssize_t n;
    do
        n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
    while (n < 0 && errno == EINTR);
    *n_fds = 0;
    if (n < 0)
        return -errno;
    for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
        if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
            continue;
        size_t k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        if (k > max - *n_fds)
            k = max - *n_fds;
        memcpy(fds + *n_fds, CMSG_DATA(cm), k * sizeof(int));
        *n_fds += k;
    }
    if (truncated)
        *truncated = (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0;
    return n;
}
