/* fuzz_userdb.c - a user spec resolved against a container's /etc/passwd
 * and /etc/group (userdb.c). Both files come from the image, so anyone who
 * can push an image writes them.
 *
 * Input: SPEC NUL PASSWD NUL GROUP. With no NUL there is no passwd (and no
 * group) file; with one, no group file. Checks Docker's rules that do not
 * depend on the files: a numeric uid is taken as it is, and the primary
 * group is always among the process's groups. */
#include "fuzz_common.h"
#include "userdb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *part[3];
    fuzz_split(data, size, part, 3);
    struct exec_user u;
    berth_error err = BERTH_ERROR_INIT;
    if (userdb_resolve(part[0], part[1], part[2], &u, &err) == 0) {
        FUZZ_CHECK(u.home && u.home[0], "no HOME for %s", part[0]);
        bool has_gid = false;
        for (size_t i = 0; i < u.n_groups; i++)
            has_gid |= u.groups[i] == u.gid;
        FUZZ_CHECK(has_gid, "primary group %u not among the groups of %s", u.gid, part[0]);
        char *end;
        unsigned long uid = strtoul(part[0], &end, 10);
        if (part[0][0] >= '0' && part[0][0] <= '9' && (!*end || *end == ':') && uid <= 0x7fffffff)
            FUZZ_CHECK(u.uid == uid, "spec %s gave uid %u", part[0], u.uid);
        userdb_add_group(&u, 12345, false);
        exec_user_clear(&u);
    } else {
        FUZZ_CHECK(err.code == BERTH_EINVAL && err.message[0], "error without a message");
        FUZZ_CHECK(!u.groups && !u.home, "failed resolve left memory behind");
    }
    for (int i = 0; i < 3; i++)
        free(part[i]);
    return 0;
}
