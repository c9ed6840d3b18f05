/* userdb_root.c - users and groups as a container's root filesystem
 * defines them: its /etc/passwd and /etc/group, read inside the root
 * (inroot.h), never through a path joined on the host. */
#include <stdlib.h>

#include "inroot.h"
#include "userdb.h"

/* Larger files than this are not a user database berth will parse. */
#define USERDB_MAX_FILE (4 << 20)

void userdb_files_read(int rootfd, struct userdb_files *f)
{
    f->passwd = f->group = NULL;
    inroot_read_file(rootfd, "/etc/passwd", USERDB_MAX_FILE, &f->passwd);
    inroot_read_file(rootfd, "/etc/group", USERDB_MAX_FILE, &f->group);
}

void userdb_files_clear(struct userdb_files *f)
{
    free(f->passwd);
    free(f->group);
    f->passwd = f->group = NULL;
}

int userdb_resolve_in_root(int rootfd, const char *spec, struct exec_user *out, berth_error *err)
{
    struct userdb_files f;
    userdb_files_read(rootfd, &f);
    int r = userdb_resolve(spec, f.passwd, f.group, out, err);
    userdb_files_clear(&f);
    return r;
}
