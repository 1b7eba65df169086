/* SPDX-License-Identifier: MIT */
/* options: one declarative table of every command's options (name, short form, kind, range,
 * default, where the value lands, help, which commands take it) and the one parser that walks
 * argv with it. Ranges are written once: the bad-input message is generated from them, in one
 * format: "concbench: [PREFIX]--FLAG: expected WHAT IS ACCEPTED, got 'VALUE'". */
#ifndef CONCBENCH_OPTIONS_H
#define CONCBENCH_OPTIONS_H

#include <stddef.h>
#include <stdint.h>

#include "core/config.h"

/* The commands an option may belong to (cb_option.commands). cpu, io and mem are
 * OPT_CMD_WORKLOAD, whichever workloads the registry holds. */
enum opt_cmd {
	OPT_CMD_WORKLOAD = 1 << 0,
	OPT_CMD_SUITE = 1 << 1,
	OPT_CMD_TOPO = 1 << 2,
	OPT_CMD_CORES = 1 << 3,
	OPT_CMD_REPORT = 1 << 4,
	OPT_CMD_COMPARE = 1 << 5,
	OPT_CMD_LIST = 1 << 6,
	OPT_CMD_EXPLAIN = 1 << 7,
	OPT_CMD_SPAWN = 1 << 8,
	OPT_CMD_FOOTPRINT = 1 << 9,
	OPT_CMD_CRASH = 1 << 11,
	OPT_CMD_IPC = 1 << 10,
	OPT_CMD_CONTEND = 1 << 12,
	OPT_CMD_FOLKLORE = 1 << 13,
	OPT_CMD_HISTORY = 1 << 14,
};
#define OPT_CMD_RUN (OPT_CMD_WORKLOAD | OPT_CMD_SUITE)

enum opt_kind {
	OPT_FLAG,       /* no value: int 1 */
	OPT_UINT,       /* unsigned in [imin, imax]; OPTF_AUTO: "auto" too */
	OPT_U64,        /* uint64_t in [imin, imax] */
	OPT_DECIMAL,    /* double in [dmin, dmax] (OPTF_ABOVE_MIN: above dmin), stored times scale */
	OPT_DURATION,   /* int64_t nanoseconds, at least imin (0: any) */
	OPT_CHOICE,     /* int: the value of the choice named */
	OPT_CHOICES,    /* unsigned: the bits of a comma list of choices, added */
	OPT_TEXT,       /* const char *: the value as given; check, when set, may refuse it */
	OPT_CALL,       /* set(dst, value): the setter parses and prints its own message */
	OPT_HELP,       /* --help: the parser reports it, the command prints opts_usage */
};

enum {
	OPTF_AUTO = 1 << 0,        /* OPT_UINT: "auto" sets the int at aux_off */
	OPTF_ABOVE_MIN = 1 << 1,   /* OPT_DECIMAL: dmin itself is refused */
	OPTF_PCT_SIGN = 1 << 2,    /* OPT_DECIMAL: a trailing '%' is allowed */
	OPTF_SEEN = 1 << 3,        /* the int at aux_off is set to 1 when given */
	OPTF_UP_TO = 1 << 4,       /* integers: the message says "up to imax" (imin is 1) */
};

struct opt_choice {
	const char *name;
	int value;
	int hidden;         /* accepted, but not listed in help or messages (an old spelling) */
};

struct cb_option {
	const char *name;
	int short_name;                 /* 0: none */
	enum opt_kind kind;
	unsigned commands;              /* enum opt_cmd bits */
	size_t off;                     /* offsetof in the command's options struct */
	const char *arg;                /* the value's name in help; NULL: from the kind */
	const char *help;               /* NULL: from the workload (--size) */
	const char *noun;               /* numbers: "count", "percentage"; messages say "a NOUN" */
	const char *example;            /* ", such as EXAMPLE" in messages */
	uint64_t imin, imax;            /* OPT_UINT, OPT_U64, OPT_DURATION (ns) */
	double dmin, dmax, scale;       /* OPT_DECIMAL */
	const struct opt_choice *choices;   /* OPT_CHOICE(S): NULL-name terminated */
	uint64_t idef;                  /* default of integer kinds and choices */
	double ddef;                    /* default of OPT_DECIMAL (as stored) */
	unsigned flags;                 /* OPTF_* */
	size_t aux_off;                 /* OPTF_AUTO, OPTF_SEEN: offset of that int */
	int (*check)(const char *flag, const char *value);   /* OPT_TEXT: 0 or print and -EINVAL */
	int (*set)(void *dst, const char *value);            /* OPT_CALL */
	const char *why_not;            /* to a known command that does not take it: why */
};

extern const struct cb_option cb_options[];
extern const size_t cb_noptions;

/* How one command parses: which options are its own, which it knows by name only (a
 * "not an option of" instead of "unknown option"), and what its messages start with. */
struct opt_command {
	const char *name;               /* as typed: "cpu", "cores" */
	unsigned cmd;                   /* its enum opt_cmd bit */
	unsigned known;                 /* bits whose option names getopt knows (cmd included) */
	const char *prefix;             /* "" or "compare: " before every message */
	int positional;                 /* takes arguments besides options (the command checks) */
	const struct workload *wl;      /* its workload options; with known & OPT_CMD_WORKLOAD,
					   every workload's option names are known */
	size_t clip;                    /* values in messages cut to this many bytes (0: not) */
	int width;                      /* of the option column in --help */
};

/* Parse argv[0] = "concbench", argv[1] = command, then options into dst, after writing
 * every default. Returns the index in argv of the first positional argument (argc when
 * none; getopt has moved them to the end), 0 for --help (usage not printed), or -EINVAL
 * after the one-line message. */
int opts_parse(const struct opt_command *oc, int argc, char **argv, void *dst);
/* The option lines of a command's --help, from the table. */
void opts_usage(const struct opt_command *oc);
/* One option of a command as its help, man page and completion show it. */
struct opt_doc {
	int short_name;                 /* 0: none */
	const char *name;               /* without the dashes */
	char arg[160];                  /* the value's name ("" for a flag) */
	char help[400];                 /* lines separated by '\n' */
	char words[400];                /* its values, space-separated, for completion ("") */
	int file;                       /* the value is a path */
};
/* The options of command oc, one per call: *pos starts at 0. Returns 1 with *d filled, 0
 * after the last. */
int opts_doc_next(const struct opt_command *oc, size_t *pos, struct opt_doc *d);
/* "a, b or c": the listed choices, for messages and help. */
void opts_choice_list(const struct opt_choice *c, const char *sep, const char *last, char *buf,
		      size_t len);
/* The accepted values of an option as its message says them (after "expected "). */
void opts_accepted(const struct cb_option *o, char *buf, size_t len);
/* The registry's executors, "seq, thread, fork or shm"; parallel: only those that run
 * several workers. */
void opts_executor_names(int parallel, char *buf, size_t len);
/* How command `name` parses (cpu, io, mem, suite, topo, cores, report, compare, list).
 * Returns 0, or -EINVAL for a name that is none of them. */
int opts_command_find(const char *name, struct opt_command *oc);
/* The row for (name, command bit), or NULL. */
const struct cb_option *opts_find(const char *name, unsigned cmd);

/* --size for workload wl (its unit, suffixes and most): 0, or -EINVAL after the message. */
int opts_size_parse(const struct workload *wl, const char *arg, uint64_t *size);

/* The workload commands (cpu, io, mem, suite): parse into one struct config. Returns 0,
 * or -EINVAL after printing the one-line error. pus bounds `max` and binding checks. */
int opts_parse_config(int argc, char **argv, unsigned pus, struct config *c);
/* Parse --workers' value alone (exposed for tests). Returns 0 or -EINVAL. */
int opts_parse_workers(const char *s, unsigned pus, unsigned *out, size_t *n);
/* The --help of a workload command (cpu, io, mem) or suite. */
void opts_usage_run(const char *command);

/* concbench topo's options. */
struct topo_opts {
	int json;
	const char *workers, *bind, *topology;
};
/* concbench report's options. */
struct report_opts {
	int format;                     /* enum render_format, or REPORT_JSON or an export */
	const char *plot;
	const char *label;              /* --label: shown for the one report given */
	const char *output;             /* --output: the JSON written there, not on stdout */
};
#define REPORT_JSON 100
/* The exports (report/export.h): REPORT_EXPORT + enum export_format. */
#define REPORT_EXPORT 200
/* concbench explain's options. */
struct explain_opts {
	int json;
	unsigned run;
	int run_set;                    /* --run given */
};

/* concbench footprint's options. */
#define FOOTPRINT_DEFAULT_WORKERS 2
#define FOOTPRINT_MAX_WORKERS 256
struct footprint_opts {
	unsigned workers;
	const char *executors;          /* --executor LIST as given */
	const char *size_arg;           /* --size as given */
	int json;
	const char *output;
};
/* concbench crash's options. */
struct crash_opts {
	unsigned executors;             /* bits: 1 thread, 2 fork, 4 shm; 0: all */
	unsigned workers, tries;
	int json;
	const char *output;
};
extern const struct opt_command opt_crash;

extern const struct opt_command opt_topo, opt_report, opt_cores, opt_compare, opt_list,
	opt_explain;
extern const struct opt_command opt_footprint;
extern const struct opt_command opt_ipc;
extern const struct opt_command opt_contend;

/* concbench folklore's options. */
enum folklore_format { FOLKLORE_TABLE, FOLKLORE_JSON, FOLKLORE_MARKDOWN };
struct folklore_opts {
	int format;                     /* enum folklore_format */
	const char *output;
	int quick;                      /* every part at its smallest: for tests */
	int quiet;                      /* no progress line per part */
};
extern const struct opt_command opt_folklore;

/* concbench history's options (add, show, plot, check: the command checks which apply). */
enum history_format { HISTORY_TABLE, HISTORY_MARKDOWN, HISTORY_JSON };
struct history_opts {
	const char *db, *commit, *branch, *label;
	const char *workload, *executor, *binding, *params, *key;     /* selectors */
	const char *output;
	unsigned workers;
	int workers_set;
	int metric, metric_set;         /* enum history_metric */
	int format, format_set;         /* enum history_format */
	double alpha;
	int alpha_set;
};
extern const struct opt_command opt_history;

#endif
