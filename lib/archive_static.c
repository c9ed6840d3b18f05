/* archive_static.c - lets the berth executables link libarchive statically
 * with only the formats berth uses (tar, and the gzip/bzip2/xz/zstd
 * filters).
 *
 * libarchive's tar writers report file types they cannot store through an
 * internal helper whose object file, archive_write_set_format.o, also holds
 * the table of every writer; linking that object statically drags in the
 * xar (libxml2) and 7-Zip writers, which the binaries do not carry (see
 * meson.build for why they link statically). Defining the helper here keeps
 * that object out of the link. It does what libarchive's own does. In
 * libberth.so the symbol stays local (libberth.map). */
#include <errno.h>

#include <archive.h>
#include <archive_entry.h>

int __archive_write_entry_filetype_unsupported(struct archive *a, struct archive_entry *entry,
                                               const char *format);

int __archive_write_entry_filetype_unsupported(struct archive *a, struct archive_entry *entry,
                                               const char *format)
{
    archive_set_error(a, EINVAL, "%s: %s format cannot archive this file type",
                      archive_entry_pathname(entry), format);
    return ARCHIVE_FAILED;
}
