/* userdb.c - resolving a user spec the way Docker does: names must exist;
 * numbers need not; the primary group comes from passwd unless a group is
 * given; supplementary groups are the user's memberships in /etc/group
 * (only when no group is given); HOME is the passwd home, else "/". */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "userdb.h"
#include "util.h"

static bool parse_id(const char *s, unsigned long *out)
{
    if (!*s)
        return false;
    for (const char *p = s; *p; p++)
        if (!isdigit((unsigned char)*p))
            return false;
    errno = 0;
    unsigned long v = strtoul(s, NULL, 10);
    if (errno || v > 0x7fffffffUL)
        return false;
    *out = v;
    return true;
}

/* Splits a colon-separated line into at most n fields (in place). */
static size_t split_fields(char *line, char **f, size_t n)
{
    size_t k = 0;
    f[k++] = line;
    for (char *p = line; *p && k < n; p++) {
        if (*p == ':') {
            *p = '\0';
            f[k++] = p + 1;
        }
    }
    return k;
}

struct pw {
    char *name;
    unsigned long uid, gid;
    char *home;
};

/* Finds a passwd entry by name (when name) or uid. Returns true if found;
 * out's strings are copies. */
static bool find_passwd(const char *passwd, const char *name, unsigned long uid, struct pw *out)
{
    if (!passwd)
        return false;
    _cleanup_free_ char *copy = xstrdup(passwd);
    char *save = NULL;
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '#' || !*line)
            continue;
        char *f[7] = { 0 };
        if (split_fields(line, f, 7) < 4)
            continue;
        unsigned long u, g;
        if (!parse_id(f[2], &u) || !parse_id(f[3], &g))
            continue;
        if (name ? strcmp(f[0], name) == 0 : u == uid) {
            out->name = xstrdup(f[0]);
            out->uid = u;
            out->gid = g;
            out->home = xstrdup(f[5] && *f[5] ? f[5] : "/");
            return true;
        }
    }
    return false;
}

static bool find_group(const char *group, const char *name, unsigned long *gid)
{
    if (!group)
        return false;
    _cleanup_free_ char *copy = xstrdup(group);
    char *save = NULL;
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *f[4] = { 0 };
        if (line[0] == '#' || split_fields(line, f, 4) < 3)
            continue;
        unsigned long g;
        if (strcmp(f[0], name) == 0 && parse_id(f[2], &g)) {
            *gid = g;
            return true;
        }
    }
    return false;
}

static void member_groups(const char *group, const char *user, struct exec_user *out)
{
    if (!group || !user)
        return;
    _cleanup_free_ char *copy = xstrdup(group);
    char *save = NULL;
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *f[4] = { 0 };
        if (line[0] == '#' || split_fields(line, f, 4) < 4)
            continue;
        unsigned long g;
        if (!parse_id(f[2], &g))
            continue;
        char *msave = NULL;
        for (char *m = strtok_r(f[3], ",", &msave); m; m = strtok_r(NULL, ",", &msave)) {
            while (*m == ' ')
                m++;
            if (strcmp(m, user) == 0) {
                out->groups = xrealloc(out->groups, (out->n_groups + 1) * sizeof(gid_t));
                out->groups[out->n_groups++] = (gid_t)g;
                break;
            }
        }
    }
}

int userdb_resolve(const char *spec, const char *passwd, const char *group, struct exec_user *out,
                   berth_error *err)
{
    memset(out, 0, sizeof *out);
    _cleanup_free_ char *copy = xstrdup(spec ? spec : "");
    char *grp = strchr(copy, ':');
    if (grp)
        *grp++ = '\0';
    const char *usr = copy;

    struct pw pw = { 0 };
    bool found = false;
    unsigned long num;
    if (*usr == '\0') {
        found = find_passwd(passwd, NULL, 0, &pw);
        out->uid = 0;
        out->gid = found ? (gid_t)pw.gid : 0;
    } else if (parse_id(usr, &num)) {
        found = find_passwd(passwd, NULL, num, &pw);
        out->uid = (uid_t)num;
        out->gid = found ? (gid_t)pw.gid : 0;
    } else {
        found = find_passwd(passwd, usr, 0, &pw);
        if (!found)
            return berr(err, BERTH_EINVAL,
                        "unable to find user %s: no matching entries in passwd file", usr);
        out->uid = (uid_t)pw.uid;
        out->gid = (gid_t)pw.gid;
    }
    out->home = xstrdup(found ? pw.home : "/");

    if (grp && *grp) {
        unsigned long g;
        if (parse_id(grp, &g)) {
            out->gid = (gid_t)g;
        } else if (find_group(group, grp, &g)) {
            out->gid = (gid_t)g;
        } else {
            free(pw.name);
            free(pw.home);
            exec_user_clear(out);
            return berr(err, BERTH_EINVAL,
                        "unable to find group %s: no matching entries in group file", grp);
        }
    } else if (found) {
        member_groups(group, pw.name, out);
    }
    free(pw.name);
    free(pw.home);
    userdb_add_group(out, out->gid, true);
    return 0;
}

void userdb_add_group(struct exec_user *u, gid_t gid, bool first)
{
    for (size_t i = 0; i < u->n_groups; i++)
        if (u->groups[i] == gid)
            return;
    u->groups = xrealloc(u->groups, (u->n_groups + 1) * sizeof(gid_t));
    if (first) {
        memmove(u->groups + 1, u->groups, u->n_groups * sizeof(gid_t));
        u->groups[0] = gid;
    } else {
        u->groups[u->n_groups] = gid;
    }
    u->n_groups++;
}

void exec_user_clear(struct exec_user *u)
{
    free(u->groups);
    free(u->home);
    memset(u, 0, sizeof *u);
}
