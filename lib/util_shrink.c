/* util_shrink.c - giving back memory a long-lived process no longer
 * needs: pages of code it will not run again. */
#include <link.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "util.h"

struct drop_ctx {
    bool (*select)(const char *path, void *userdata);
    void *userdata;
};

/* The loadable segments that are never written (code and read-only data:
 * no PF_W, so no relocation touched them, unlike the RELRO part of the
 * writable segment) hold only the file's own bytes: dropped, they are
 * refaulted from the page cache if they are ever used again. */
static int drop_object(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    struct drop_ctx *ctx = data;
    if (!ctx->select(info->dlpi_name ? info->dlpi_name : "", ctx->userdata))
        return 0;
    long page = sysconf(_SC_PAGESIZE);
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || (ph->p_flags & PF_W))
            continue;
        uintptr_t start = info->dlpi_addr + ph->p_vaddr;
        uintptr_t end = start + ph->p_memsz;
        start = (start + page - 1) & ~(uintptr_t)(page - 1);
        end &= ~(uintptr_t)(page - 1);
        if (end > start)
            madvise((void *)start, end - start, MADV_DONTNEED);
    }
    return 0;
}

void drop_readonly_pages(bool (*select)(const char *path, void *userdata), void *userdata)
{
    struct drop_ctx ctx = { select, userdata };
    dl_iterate_phdr(drop_object, &ctx);
}
