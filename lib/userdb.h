/* userdb.h - Docker's user spec ("name", "uid", "name:group", "uid:gid")
 * resolved against a container's /etc/passwd and /etc/group contents. */
#ifndef BERTH_USERDB_H
#define BERTH_USERDB_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <berth/error.h>

struct exec_user {
    uid_t uid;
    gid_t gid;
    gid_t *groups; /* supplementary groups */
    size_t n_groups;
    char *home;
};

/* passwd and group are the files' contents, or NULL when absent. */
int userdb_resolve(const char *spec, const char *passwd, const char *group, struct exec_user *out,
                   berth_error *err);
void exec_user_clear(struct exec_user *u);

/* Adds gid to the supplementary groups unless present (first: in front). */
void userdb_add_group(struct exec_user *u, gid_t gid, bool first);

#endif
