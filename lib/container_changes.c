/* container_changes.c - GET /containers/{id}/changes: what a container
 * changed in its filesystem, from its overlayfs upper directory.
 *
 * As moby's overlay ChangesDirs: a whiteout (0/0 character device) is a
 * deletion (Kind 2); anything else in the upper directory is a
 * modification (Kind 0) when the lower layers have the path, else an
 * addition (Kind 1). An opaque directory (rm -rf d && mkdir d) hides its
 * lower content: it is modified, the lower entries it hides are deleted
 * and everything below it is added. The list is in Go's filepath.Walk
 * order (by path, a directory before its content), null when empty. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <berth/commit.h>

#include "container_fs.h"
#include "engine_int.h"
#include "errors.h"
#include "layer.h"
#include "util.h"

int ctr_fs_open(berth_engine *e, const struct ctr *c, int *upper_fd, struct lowers *l,
                berth_error *err)
{
    _cleanup_free_ char *dir = engine_ctr_dir(e, c->id);
    _cleanup_free_ char *upper = xasprintf("%s/upper", dir);
    int fd = open(upper, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return berr_errno(err, BERTH_EINTERNAL, errno, "cannot open the writable layer of %s",
                          c->id);
    _cleanup_strv_ char **dirs = NULL;
    _cleanup_free_ char *init = NULL;
    if (engine_init_layer(e, &init, NULL) == 0)
        strv_push(&dirs, init);
    for (size_t i = json_array_size(c->layers); i-- > 0;)
        strv_push_take(&dirs, layer_dir_path(e, json_string_value(json_array_get(c->layers, i))));
    int r = lowers_open(dirs, l, err);
    if (r < 0) {
        close(fd);
        return r;
    }
    *upper_fd = fd;
    return 0;
}

struct change {
    char *path;
    int kind;
};

struct changes_state {
    const struct lowers *lowers;
    struct change *v;
    size_t n, cap;
};

static void add_change(struct changes_state *st, const char *path, int kind)
{
    if (st->n == st->cap) {
        st->cap = st->cap ? st->cap * 2 : 64;
        st->v = xrealloc(st->v, st->cap * sizeof *st->v);
    }
    st->v[st->n].path = xstrdup(path);
    st->v[st->n].kind = kind;
    st->n++;
}

static int visit(void *ud, const struct upper_ent *ent, berth_error *err)
{
    (void)err;
    struct changes_state *st = ud;
    if (ent->whiteout) {
        if (!ent->in_opaque)
            add_change(st, ent->path, BERTH_CHANGE_DELETE);
        return 0;
    }
    bool lower = !ent->in_opaque && lowers_has(st->lowers, ent->path);
    add_change(st, ent->path, lower ? BERTH_CHANGE_MODIFY : BERTH_CHANGE_ADD);
    if (ent->opaque && lower) {
        /* the lower entries this directory no longer shows */
        _cleanup_strv_ char **names = lowers_list(st->lowers, ent->path);
        for (size_t i = 0; names && names[i]; i++) {
            if (faccessat(ent->fd, names[i], F_OK, AT_SYMLINK_NOFOLLOW) == 0)
                continue; /* visited as an upper entry */
            _cleanup_free_ char *p = xasprintf("%s/%s", ent->path, names[i]);
            add_change(st, p, BERTH_CHANGE_DELETE);
        }
    }
    return 0;
}

/* A JSON string of a name that may not be UTF-8: as Go's encoder does,
 * every byte that does not start a valid sequence becomes U+FFFD. */
static json_t *json_name(const char *s)
{
    json_t *j = json_string(s);
    if (j)
        return j;
    buf_t b = { 0 };
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        size_t len = *p < 0x80 ? 1 : *p >= 0xf0 ? 4 : *p >= 0xe0 ? 3 : 2;
        json_t *seq =
            strnlen((const char *)p, len) == len ? json_stringn((const char *)p, len) : NULL;
        if (seq) {
            buf_append(&b, p, len);
            p += len;
            json_decref(seq);
        } else {
            buf_append(&b, "\xef\xbf\xbd", 3);
            p++;
        }
    }
    buf_append(&b, "", 1);
    j = json_string(b.data);
    buf_free(&b);
    return j;
}

/* Walk order: by path, with '/' before any other byte (a directory's
 * content comes right after it, before a sibling named "dir-x"). */
static int walk_order(const void *pa, const void *pb)
{
    const unsigned char *a = (const unsigned char *)((const struct change *)pa)->path;
    const unsigned char *b = (const unsigned char *)((const struct change *)pb)->path;
    for (;; a++, b++) {
        int ca = *a == '/' ? 1 : *a ? *a + 1 : 0;
        int cb = *b == '/' ? 1 : *b ? *b + 1 : 0;
        if (ca != cb || !ca)
            return ca - cb;
    }
}

int berth_container_changes(berth_engine *e, const char *name, char **json_out, berth_error *err)
{
    _cleanup_ctr_ struct ctr *c = NULL;
    int r = ctr_load(e, name, &c, err);
    if (r < 0)
        return r;
    _cleanup_close_ int upper = -1;
    struct lowers lowers = { 0 };
    r = ctr_fs_open(e, c, &upper, &lowers, err);
    if (r < 0)
        return r;
    struct changes_state st = { &lowers, NULL, 0, 0 };
    r = upper_walk(upper, visit, &st, err);
    lowers_close(&lowers);
    if (st.n)
        qsort(st.v, st.n, sizeof *st.v, walk_order);
    json_t *out = st.n ? json_array() : json_null();
    for (size_t i = 0; i < st.n; i++) {
        json_array_append_new(
            out, json_pack("{s:o, s:i}", "Path", json_name(st.v[i].path), "Kind", st.v[i].kind));
        free(st.v[i].path);
    }
    free(st.v);
    if (r == 0)
        *json_out = json_dumps(out, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(out);
    return r;
}
