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

/* A container's /etc/passwd and /etc/group, read inside its root
 * (userdb_root.c); NULL when absent or unreadable. */
struct userdb_files {
    char *passwd, *group;
};
void userdb_files_read(int rootfd, struct userdb_files *f);
void userdb_files_clear(struct userdb_files *f);
/* userdb_resolve with the files of the root at rootfd. */
int userdb_resolve_in_root(int rootfd, const char *spec, struct exec_user *out, berth_error *err);

/* Adds gid to the supplementary groups unless present (first: in front). */
void userdb_add_group(struct exec_user *u, gid_t gid, bool first);

#endif
