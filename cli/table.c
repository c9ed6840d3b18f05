/* table.c - column output like docker's (Go tabwriter with a minimum cell
 * width of 10 and padding 3) and go-units' human sizes. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "util.h"

struct table {
    size_t ncols, nrows, min_width;
    char **cells;
};

struct table *table_new(size_t ncols)
{
    struct table *t = xcalloc(1, sizeof *t);
    t->ncols = ncols;
    t->min_width = 10;
    return t;
}

void table_add(struct table *t, ...)
{
    t->cells = xrealloc(t->cells, (t->nrows + 1) * t->ncols * sizeof(char *));
    va_list ap;
    va_start(ap, t);
    for (size_t c = 0; c < t->ncols; c++) {
        const char *s = va_arg(ap, const char *);
        t->cells[t->nrows * t->ncols + c] = xstrdup(s ? s : "");
    }
    va_end(ap);
    t->nrows++;
}

void table_add_row(struct table *t, const char *const *cells)
{
    t->cells = xrealloc(t->cells, (t->nrows + 1) * t->ncols * sizeof(char *));
    for (size_t c = 0; c < t->ncols; c++)
        t->cells[t->nrows * t->ncols + c] = xstrdup(cells[c] ? cells[c] : "");
    t->nrows++;
}

/* Display width of UTF-8 text (one column per code point). */
static size_t width(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xc0) != 0x80)
            w++;
    return w;
}

void table_print(struct table *t, FILE *out)
{
    size_t *w = xcalloc(t->ncols, sizeof *w);
    for (size_t r = 0; r < t->nrows; r++)
        for (size_t c = 0; c < t->ncols; c++) {
            size_t cw = width(t->cells[r * t->ncols + c]);
            if (cw > w[c])
                w[c] = cw;
        }
    for (size_t r = 0; r < t->nrows; r++) {
        for (size_t c = 0; c < t->ncols; c++) {
            const char *s = t->cells[r * t->ncols + c];
            fputs(s, out);
            size_t cell = w[c] + 3 < t->min_width ? t->min_width : w[c] + 3;
            if (c + 1 < t->ncols)
                for (size_t k = width(s); k < cell; k++)
                    fputc(' ', out);
        }
        fputc('\n', out);
    }
    free(w);
}

void table_min_width(struct table *t, size_t w)
{
    t->min_width = w;
}

void table_free(struct table *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->nrows * t->ncols; i++)
        free(t->cells[i]);
    free(t->cells);
    free(t);
}

void human_size_precision(double size, int precision, char *buf, size_t n)
{
    static const char *const units[] = { "B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB" };
    size_t i = 0;
    while (size >= 1000 && i + 1 < ARRAY_SIZE(units)) {
        size /= 1000;
        i++;
    }
    snprintf(buf, n, "%.*g%s", precision, size, units[i]);
}

void bytes_size(double size, char *buf, size_t n)
{
    static const char *const units[] = {
        "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"
    };
    size_t i = 0;
    while (size >= 1024 && i + 1 < ARRAY_SIZE(units)) {
        size /= 1024;
        i++;
    }
    snprintf(buf, n, "%.4g%s", size, units[i]);
}

void human_size(double size, char *buf, size_t n)
{
    human_size_precision(size, 3, buf, n);
}
