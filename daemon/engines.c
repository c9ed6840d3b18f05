/* engines.c - a pool of libberth engine handles. A handle is used by one
 * thread at a time; keeping them open across requests keeps the state
 * database connection (and its WAL index) warm. */
#include <pthread.h>
#include <stdlib.h>

#include "berthd.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static berth_engine **free_list;
static size_t n_free;
static berth_engine_opts engine_opts;

int engines_init(const berth_engine_opts *opts, berth_error *err)
{
    engine_opts = *opts;
    berth_engine *e = NULL;
    int r = berth_engine_open(&e, &engine_opts, err);
    if (r < 0)
        return r;
    engine_put(e);
    return 0;
}

berth_engine *engine_get(void)
{
    pthread_mutex_lock(&lock);
    berth_engine *e = n_free ? free_list[--n_free] : NULL;
    pthread_mutex_unlock(&lock);
    if (e)
        return e;
    berth_error err = BERTH_ERROR_INIT;
    if (berth_engine_open(&e, &engine_opts, &err) < 0)
        return NULL;
    return e;
}

void engine_put(berth_engine *e)
{
    if (!e)
        return;
    pthread_mutex_lock(&lock);
    free_list = xrealloc(free_list, (n_free + 1) * sizeof *free_list);
    free_list[n_free++] = e;
    pthread_mutex_unlock(&lock);
}

void engines_trim(size_t keep)
{
    pthread_mutex_lock(&lock);
    while (n_free > keep)
        berth_engine_free(free_list[--n_free]);
    for (size_t i = 0; i < n_free; i++)
        berth_engine_release_memory(free_list[i]);
    pthread_mutex_unlock(&lock);
}

void engines_free(void)
{
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < n_free; i++)
        berth_engine_free(free_list[i]);
    free(free_list);
    free_list = NULL;
    n_free = 0;
    pthread_mutex_unlock(&lock);
}
