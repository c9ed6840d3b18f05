/* test_userdb.c - Docker's user spec resolution against passwd/group. */
#include <stdlib.h>

#include "check.h"
#include "userdb.h"

static const char passwd[] = "root:x:0:0:root:/root:/bin/sh\n"
                             "# a comment\n"
                             "tester:x:1000:1000:t:/home/tester:/bin/sh\n"
                             "nobody:x:65534:65534::/nonexistent:/bin/false\n"
                             "broken line\n";
static const char group[] = "root:x:0:\n"
                            "tester:x:1000:\n"
                            "extra:x:1001:tester,other\n"
                            "wheel:x:10:other, tester\n"
                            "nogroup:x:65534:\n";

static void ok(const char *spec, const char *pw, const char *gr, unsigned uid, unsigned gid,
               size_t ngroups, const char *home)
{
    struct exec_user u;
    berth_error err = BERTH_ERROR_INIT;
    int r = userdb_resolve(spec, pw, gr, &u, &err);
    CHECK(r == 0, "%s: %s", spec, err.message);
    if (r)
        return;
    CHECK(u.uid == uid && u.gid == gid, "%s: got %u:%u, want %u:%u", spec, u.uid, u.gid, uid, gid);
    CHECK(u.n_groups == ngroups, "%s: %zu supplementary groups, want %zu", spec, u.n_groups,
          ngroups);
    CHECK_STR(u.home, home);
    exec_user_clear(&u);
}

static void bad(const char *spec, const char *want_msg)
{
    struct exec_user u;
    berth_error err = BERTH_ERROR_INIT;
    int r = userdb_resolve(spec, passwd, group, &u, &err);
    CHECK(r == BERTH_EINVAL, "%s: expected an error", spec);
    CHECK(strstr(err.message, want_msg) != NULL, "%s: message \"%s\"", spec, err.message);
}

int main(void)
{
    /* the supplementary groups always hold the primary group */
    ok("", passwd, group, 0, 0, 1, "/root");
    ok("root", passwd, group, 0, 0, 1, "/root");
    ok("tester", passwd, group, 1000, 1000, 3, "/home/tester");
    ok("1000", passwd, group, 1000, 1000, 3, "/home/tester");
    ok("4242", passwd, group, 4242, 0, 1, "/");
    ok("4242:77", passwd, group, 4242, 77, 1, "/");
    ok("tester:extra", passwd, group, 1000, 1001, 1, "/home/tester");
    ok("nobody:nogroup", passwd, group, 65534, 65534, 1, "/nonexistent");
    ok("0:1001", passwd, group, 0, 1001, 1, "/root");
    ok("5", NULL, NULL, 5, 0, 1, "/");
    ok("", NULL, NULL, 0, 0, 1, "/");
    struct exec_user u;
    berth_error err = BERTH_ERROR_INIT;
    CHECK_INT(userdb_resolve("tester", passwd, group, &u, &err), 0);
    CHECK(u.n_groups == 3 && u.groups[0] == 1000 && u.groups[1] == 1001 && u.groups[2] == 10,
          "tester's groups in order: primary, then memberships");
    exec_user_clear(&u);
    bad("ghost", "unable to find user ghost");
    bad("tester:ghosts", "unable to find group ghosts");
    return check_exit();
}
