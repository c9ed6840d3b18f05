/* cli.h - the berth command line: shared declarations of its verbs. */
#ifndef BERTH_CLI_H
#define BERTH_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include <berth/berth.h>

enum opt_type { OPT_BOOL, OPT_STR, OPT_LIST, OPT_INT };

struct opt {
    const char *name; /* long name, without "--" */
    char shortname;   /* 0 for none */
    enum opt_type type;
    void *dest;      /* bool*, const char**, char***, long* */
    const char *arg; /* placeholder shown in help, NULL for bools */
    const char *help;
};

struct cmd {
    const char *name;
    int (*run)(berth_engine *e, int argc, char **argv);
    const char *usage;   /* "[OPTIONS] CONTAINER [CONTAINER...]" */
    const char *summary; /* one line */
    bool no_engine;      /* runs without opening the engine */
};

/* Parses argv[1..] against opts. Positional arguments are collected in
 * *pos; with stop_at_positional, parsing ends at the first one (the rest
 * belongs to the container's command). Prints help and exits 0 on
 * --help; prints an error and returns -1 on a bad flag. */
int opts_parse(const struct cmd *cmd, const struct opt *opts, int argc, char **argv,
               bool stop_at_positional, char ***pos);

void cmd_usage(const struct cmd *cmd, const struct opt *opts, FILE *out);

/* "Error: message" on stderr; returns 1 (or the given code). */
int cli_fail(const berth_error *err);
int cli_failf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* -o FILE (output.c): the descriptor to write to (stdout without -o,
 * refused on a terminal; -1 and a message on failure), then the exit
 * status, FILE renamed into place only when r is 0. */
int cli_output_open(const char *output, char **tmp);
int cli_output_finish(int fd, const char *output, const char *tmp, int r, const berth_error *err);

/* Tables aligned like Go's tabwriter (padding 3). */
struct table;
struct table *table_new(size_t ncols);
void table_add(struct table *t, ...);                          /* ncols strings */
void table_add_row(struct table *t, const char *const *cells); /* ncols strings */
void table_print(struct table *t, FILE *out);
void table_free(struct table *t);
/* The narrowest a column is (with its padding); 10 unless set. */
void table_min_width(struct table *t, size_t w);

/* "4.26MB": go-units HumanSizeWithPrecision(size, 3). */
void human_size(double size, char *buf, size_t n);
/* "1.5MiB": go-units BytesSize (powers of 1024, 4 digits). */
void bytes_size(double size, char *buf, size_t n);
/* go-units HumanSizeWithPrecision; its HumanSize is precision 4. */
void human_size_precision(double size, int precision, char *buf, size_t n);

/* Docker's filter flags ("key=value", repeated) as filters JSON, or NULL. */
char *filters_json(char **filters);

/* Expands a Go template of the common forms ({{.Path.To.Field}}, {{json
 * .X}}, {{json .}}) for one document; NULL and a message on error. */
struct json_t;
char *cli_template_render(const char *tmpl, const struct json_t *doc, char **errmsg);

const struct cmd *cli_find_cmd(const char *name);
/* A verb of a group ("container prune"), by its full name. */
const struct cmd *cli_find_subcmd(const char *name);

/* The verbs. */
int cmd_run(berth_engine *e, int argc, char **argv);
int cmd_cp(berth_engine *e, int argc, char **argv);
int cmd_export(berth_engine *e, int argc, char **argv);
int cmd_create(berth_engine *e, int argc, char **argv);
int cmd_start(berth_engine *e, int argc, char **argv);
int cmd_stop(berth_engine *e, int argc, char **argv);
int cmd_kill(berth_engine *e, int argc, char **argv);
int cmd_restart(berth_engine *e, int argc, char **argv);
int cmd_rm(berth_engine *e, int argc, char **argv);
int cmd_rename(berth_engine *e, int argc, char **argv);
int cmd_wait(berth_engine *e, int argc, char **argv);
int cmd_ps(berth_engine *e, int argc, char **argv);
int cmd_logs(berth_engine *e, int argc, char **argv);
int cmd_inspect(berth_engine *e, int argc, char **argv);
int cmd_images(berth_engine *e, int argc, char **argv);
int cmd_import(berth_engine *e, int argc, char **argv);
int cmd_load(berth_engine *e, int argc, char **argv);
int cmd_save(berth_engine *e, int argc, char **argv);
int cmd_rmi(berth_engine *e, int argc, char **argv);
int cmd_tag(berth_engine *e, int argc, char **argv);
int cmd_version(berth_engine *e, int argc, char **argv);
int cmd_pause(berth_engine *e, int argc, char **argv);
int cmd_exec(berth_engine *e, int argc, char **argv);
int cmd_unpause(berth_engine *e, int argc, char **argv);
int cmd_container_prune(berth_engine *e, int argc, char **argv);
int cmd_image_prune(berth_engine *e, int argc, char **argv);
int cmd_events(berth_engine *e, int argc, char **argv);
int cmd_stats(berth_engine *e, int argc, char **argv);
int cmd_top(berth_engine *e, int argc, char **argv);
int cmd_diff(berth_engine *e, int argc, char **argv);
int cmd_commit(berth_engine *e, int argc, char **argv);
/* The verb groups: "berth container VERB", "berth image VERB". */
int cmd_container(berth_engine *e, int argc, char **argv);
int cmd_image(berth_engine *e, int argc, char **argv);

/* Appends "-e NAME=value" (or NAME, taking our own value) to env. */
#include <jansson.h>
void cli_add_env(json_t *env, const char *item);

/* Streams a started container's output to our stdout/stderr (and our
 * stdin to it); returns its exit code. cmd.c's run and start -a share it.
 * With id NULL (an exec's stream) no signal is forwarded and the exit
 * code is -1 when the stream ended without one. */
int cli_stream(berth_engine *e, const char *id, berth_attach *a, bool tty, bool interactive);

struct stream_opts {
    bool tty;                        /* the container's: raw mode and resizes */
    bool interactive;                /* our stdin goes to the container */
    bool sig_proxy;                  /* signals we get go to the container (without a TTY) */
    const berth_detach_keys *detach; /* ends the stream, not the container (NULL: none) */
};

/* cli_stream with every option (berth attach); 0 after a detach. */
int cli_stream_with(berth_engine *e, const char *id, berth_attach *a, const struct stream_opts *o);

/* The verb "attach" (cmd_attach.c). */
int cmd_attach(berth_engine *e, int argc, char **argv);

#endif
