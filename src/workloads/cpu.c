/* SPDX-License-Identifier: MIT */
/* cpu: compute-bound tasks. `sumsq` sums i*i over 0..size-1 in 64-bit unsigned arithmetic
 * (even cost per task); `primes` counts primes below size by trial division (cost grows
 * with the numbers, so static and dynamic distribution differ).
 *
 * Verification is independent of the kernel's own code path: the closed form
 * (n-1)n(2n-1)/6 mod 2^64 for sumsq, a sieve of Eratosthenes for primes. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "core/workload.h"

#define CPU_DEFAULT_TASKS 240   /* divisible by 1..6, 8, 10, 12, 15, 16: even blocks */
#define PRIMES_MAX 1000000000ULL
/* sumsq runs at about 0.3 ns a number on one core: 10^12 numbers is five minutes a
 * repetition, the most that is still a benchmark (2^64 would be 175 years). */
#define SUMSQ_MAX 1000000000000ULL

enum { OPT_KERNEL };
enum { K_SUMSQ, K_PRIMES };

static const char *const kernels[] = { "sumsq", "primes", NULL };
static const struct wl_option cpu_options[] = {
	[OPT_KERNEL] = { .name = "kernel", .kind = WLO_CHOICE, .choices = kernels,
			 .help = "sumsq (even tasks) or primes (uneven tasks)" },
};

struct cpu_priv {
	uint64_t n;             /* numbers processed: 0..n-1 */
	uint64_t expect;        /* reference checksum */
};

static void range_of(const struct wl_inst *w, size_t t, uint64_t *lo, uint64_t *hi)
{
	const struct cpu_priv *c = w->priv;
	unsigned __int128 n = c->n;
	*lo = (uint64_t)(n * t / w->ntasks);
	*hi = (uint64_t)(n * (t + 1) / w->ntasks);
}

/* sum of i^2 for i in [0, n) mod 2^64, exactly: divide the factors before multiplying. */
uint64_t cpu_sumsq_closed(uint64_t n);
uint64_t cpu_sumsq_closed(uint64_t n)
{
	unsigned __int128 a = n ? n - 1 : 0, b = n, c = n ? 2 * (unsigned __int128)n - 1 : 0;
	if (!n)
		return 0;
	if (a % 2 == 0)
		a /= 2;
	else
		b /= 2;
	if (a % 3 == 0)
		a /= 3;
	else if (b % 3 == 0)
		b /= 3;
	else
		c /= 3;
	return (uint64_t)a * (uint64_t)b * (uint64_t)c;
}

/* Out of line and compiled with -falign-loops=64 (Makefile): a 19-byte loop that crosses a
 * 64-byte line runs at half speed on some cores (0.27 against 0.55 ns a number measured
 * here), and where it lands would otherwise depend on whatever is linked before it. */
__attribute__((noinline)) static uint64_t sumsq(uint64_t lo, uint64_t hi)
{
	uint64_t s = 0;
	for (uint64_t i = lo; i < hi; i++) {
		uint64_t v = i;
		/* Hide v from the optimiser so that it can neither vectorise the loop into a
		 * different computation nor replace it with the closed form. */
		__asm__ volatile("" : "+r"(v));
		s += v * v;
	}
	return s;
}

static int is_prime_trial(uint64_t v)
{
	if (v < 2)
		return 0;
	if (v < 4)
		return 1;
	if (v % 2 == 0)
		return 0;
	for (uint64_t d = 3; d * d <= v; d += 2)
		if (v % d == 0)
			return 0;
	return 1;
}

/* Reference for primes: odd-only sieve, checksum = sum of mix64(p) over primes p < n. */
static int primes_reference(uint64_t n, uint64_t *sum)
{
	uint64_t half = n / 2 + 1, s = 0;
	unsigned char *composite = calloc(half, 1);   /* index i stands for 2i+1 */
	if (!composite)
		return -ENOMEM;
	for (uint64_t i = 1; (2 * i + 1) * (2 * i + 1) < n; i++)
		if (!composite[i])
			for (uint64_t j = (2 * i + 1) * (2 * i + 1) / 2; j < half; j += 2 * i + 1)
				composite[j] = 1;
	if (n > 2)
		s += mix64(2);
	for (uint64_t i = 1; 2 * i + 1 < n; i++)
		if (!composite[i])
			s += mix64(2 * i + 1);
	free(composite);
	*sum = s;
	return 0;
}

static int cpu_init(struct wl_inst *w, const struct machine *m, char *err, size_t len)
{
	struct cpu_priv *c;
	int kernel = (int)w->p.opt[OPT_KERNEL];
	(void)m;

	if (!w->p.size)
		w->p.size = kernel == K_PRIMES ? 1000000 : 100000000;
	if (!w->p.tasks)
		w->p.tasks = CPU_DEFAULT_TASKS;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	w->priv = c;
	if (w->p.size > UINT64_MAX / w->scale) {
		cb_fmt(err, len, "--size: %llu times %u workers overflows",
		       (unsigned long long)w->p.size, w->scale);
		return -ERANGE;
	}
	c->n = w->p.size * w->scale;
	if (kernel == K_SUMSQ && c->n > SUMSQ_MAX) {
		cb_fmt(err, len, "--size: sumsq accepts up to %llu numbers in all, got %llu",
		       (unsigned long long)SUMSQ_MAX, (unsigned long long)c->n);
		return -ERANGE;
	}
	if (kernel == K_PRIMES && c->n > PRIMES_MAX) {
		cb_fmt(err, len, "--size: primes accepts up to %llu numbers in all, got %llu",
		       (unsigned long long)PRIMES_MAX, (unsigned long long)c->n);
		return -ERANGE;
	}
	if (w->p.tasks > c->n) {
		cb_fmt(err, len, "--tasks: at most --size (%llu) tasks, got %llu",
		       (unsigned long long)c->n, (unsigned long long)w->p.tasks);
		return -ERANGE;
	}
	w->ntasks = w->p.tasks;
	w->items = c->n;
	w->unit = "numbers";
	if (kernel == K_PRIMES)
		return primes_reference(c->n, &c->expect);
	c->expect = cpu_sumsq_closed(c->n);
	return 0;
}

static int cpu_run_task(const struct wl_inst *w, void *data, size_t t, struct task_out *out)
{
	uint64_t lo, hi, s = 0;
	(void)data;
	range_of(w, t, &lo, &hi);
	if (w->p.opt[OPT_KERNEL] == K_PRIMES) {
		for (uint64_t v = lo; v < hi; v++)
			if (is_prime_trial(v))
				s += mix64(v);
	} else {
		s = sumsq(lo, hi);
	}
	out->checksum = s;
	out->items = hi - lo;
	return 0;
}

static int cpu_verify(const struct wl_inst *w, const struct task_out *outs, uint64_t *checksum,
		      char *err, size_t len)
{
	const struct cpu_priv *c = w->priv;
	uint64_t s = 0;
	for (size_t t = 0; t < w->ntasks; t++)
		s += outs[t].checksum;
	*checksum = s;
	if (s != c->expect) {
		cb_fmt(err, len, "%s checksum %016llx, expected %016llx", wl_choice(w, OPT_KERNEL),
		       (unsigned long long)s, (unsigned long long)c->expect);
		return -EBADMSG;
	}
	return 0;
}

static void cpu_fini(struct wl_inst *w)
{
	if (wl_threads_stuck(w))
		return;       /* a stuck worker thread may still read it (workload.h) */
	free(w->priv);
	w->priv = NULL;
}

const struct workload workload_cpu = {
	.name = "cpu",
	.summary = "compute-bound: sum of squares, or primes by trial division",
	.size_help = "numbers to process (k, M, G = 10^3, 10^6, 10^9); default 100M, primes 1M",
	.max_size = SUMSQ_MAX,
	.options = cpu_options,
	.noptions = ARRAY_SIZE(cpu_options),
	.init = cpu_init,
	.run_task = cpu_run_task,
	.verify = cpu_verify,
	.fini = cpu_fini,
};
