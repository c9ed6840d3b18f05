/* untar.h - safe tar extraction, the only way berth writes an archive to
 * disk (image layers, loaded archives, and files copied into containers).
 *
 * Guarantees: every entry lands inside the root directory given as a
 * descriptor. Entry names are taken as paths inside that root, as if it
 * were "/" (chroot semantics): a leading "/" and ".." components cannot
 * climb above it, and symlinks met on the way (including ones planted by
 * earlier entries of the same archive) are resolved inside it with
 * openat2(RESOLVE_IN_ROOT). The last component of a name is never
 * followed. Hard links can only point to files inside the root.
 *
 * Formats: tar (ustar, pax, GNU), plain or compressed with gzip, bzip2,
 * xz or zstd. A corrupt or truncated archive is BERTH_EINVAL; the entries
 * before the damage may have been written, so callers extract into a
 * scratch directory and rename it into place only on success. */
#ifndef BERTH_UNTAR_H
#define BERTH_UNTAR_H

#include <stdint.h>

#include <berth/error.h>

#include "digest.h"

enum untar_flags {
    /* Convert OCI whiteouts to overlayfs form: ".wh.NAME" becomes a 0:0
     * character device NAME, ".wh..wh..opq" sets trusted.overlay.opaque=y
     * on its directory. */
    UNTAR_OVERLAY_WHITEOUTS = 1 << 0,
    /* Keep the extracting process's uid/gid instead of the archive's. */
    UNTAR_NO_CHOWN = 1 << 1,
    /* Fail instead of replacing a directory by a non-directory or the
     * other way round (docker cp's noOverwriteDirNonDir). */
    UNTAR_NO_OVERWRITE_DIR_NONDIR = 1 << 2,
    /* Own everything by opts->uid/gid instead of the archive's owners
     * (docker cp -a into a container with a User). */
    UNTAR_FORCE_OWNER = 1 << 3,
};

struct untar_opts {
    unsigned flags; /* enum untar_flags */
    /* Directory inside the root that entry names are relative to
     * (resolved inside the root; it must exist), or NULL for the root.
     * Names cannot climb above it either. */
    const char *base;
    unsigned uid, gid; /* UNTAR_FORCE_OWNER */
};

struct untar_stats {
    uint64_t entries;
    uint64_t bytes; /* file data written */
};

/* Extracts the tar read from tar_fd into root_fd. stats may be NULL. */
int untar_extract(int root_fd, int tar_fd, const struct untar_opts *opts, struct untar_stats *stats,
                  berth_error *err);

/* Decompresses whatever in_fd holds (gzip, bzip2, xz, zstd or nothing)
 * into out_fd without looking at the content. raw (may be NULL) receives
 * every decompressed byte and *raw_size their count; in (may be NULL)
 * receives every byte read from in_fd, to the end of the input. */
int untar_decompress(int in_fd, int out_fd, digest_t *raw, uint64_t *raw_size, digest_t *in,
                     berth_error *err);

#endif
