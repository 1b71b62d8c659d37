// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cpubench: CPU-bound guest programs, timed inside the guest.
 *
 * Built static (gcc -O2 -static) by bench/cpu_programs.py and run as the
 * guest's workload under hover --accel emu and under QEMU TCG. Each phase
 * times itself with CLOCK_MONOTONIC and prints one line:
 *
 *     cpubench NAME MS
 *
 * Usage: cpubench [--scale N] [PHASE...]   (default: every phase, scale 1).
 * Sizes are chosen so that each phase takes roughly 0.5-2 s under QEMU TCG
 * on the project's build machines. Every phase prints a checksum-derived
 * value through a volatile sink so that the compiler cannot drop the work.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile uint64_t sink;
static int scale = 1;

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static uint64_t xorshift(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

/* Integer: a sieve of Eratosthenes plus an FNV-style hash loop. */
static void ph_integer(void)
{
	const unsigned n = 2000000;
	unsigned char *comp = calloc(n + 1, 1);
	uint64_t h = 1469598103934665603ULL, count = 0;

	for (int rep = 0; rep < 8 * scale; rep++) {
		memset(comp, 0, n + 1);
		count = 0;
		for (unsigned i = 2; i <= n; i++) {
			if (comp[i])
				continue;
			count++;
			for (unsigned j = i * 2; j <= n; j += i)
				comp[j] = 1;
		}
	}
	for (unsigned i = 0; i < 24000000u * scale; i++) {
		h ^= i & 0xff;
		h *= 1099511628211ULL;
		h += (h >> 29) ^ (i << 3);
	}
	sink = h + count;
	free(comp);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* Sort: glibc qsort of 1M 32-bit keys (4 MiB). */
static void ph_sort(void)
{
	const size_t n = 1u << 20;
	uint32_t *a = malloc(n * sizeof(*a));
	uint64_t s = 88172645463325252ULL;

	for (int rep = 0; rep < scale; rep++) {
		for (size_t i = 0; i < n; i++)
			a[i] = (uint32_t)xorshift(&s);
		qsort(a, n, sizeof(*a), cmp_u32);
	}
	sink = a[0] ^ a[n / 2] ^ a[n - 1];
	free(a);
}

/* Float: mandelbrot set in double precision. */
static void ph_float(void)
{
	const int w = 640, h = 480, iters = 256;
	uint64_t inside = 0;

	for (int rep = 0; rep < scale; rep++) {
		for (int y = 0; y < h; y++) {
			for (int x = 0; x < w; x++) {
				double cr = -2.0 + 3.0 * x / w, ci = -1.2 + 2.4 * y / h;
				double zr = 0, zi = 0;
				int k;

				for (k = 0; k < iters && zr * zr + zi * zi < 4.0; k++) {
					double t = zr * zr - zi * zi + cr;

					zi = 2 * zr * zi + ci;
					zr = t;
				}
				inside += k;
			}
		}
	}
	sink = inside;
}

/* Memory-bound: dependent random reads over a 64 MiB array (pointer chase). */
static void ph_memory(void)
{
	const size_t n = (64u << 20) / sizeof(uint32_t);
	uint32_t *a = malloc(n * sizeof(*a));
	uint64_t s = 0x9e3779b97f4a7c15ULL, acc = 0;
	uint32_t idx = 0;

	/* A random permutation cycle would need a shuffle; a hash-scattered chase is enough. */
	for (size_t i = 0; i < n; i++)
		a[i] = (uint32_t)(xorshift(&s) & (n - 1));
	for (unsigned i = 0; i < 3000000u * scale; i++) {
		idx = a[idx] ^ (i & 0xff);
		acc += idx;
	}
	sink = acc;
	free(a);
}

/* memcpy/strlen: glibc's string functions over a few MiB. */
static void ph_memcpy(void)
{
	const size_t n = 4u << 20;
	char *a = malloc(n + 1), *b = malloc(n + 1);
	uint64_t acc = 0;

	memset(a, 'x', n);
	a[n] = 0;
	for (int rep = 0; rep < 180 * scale; rep++) {
		memcpy(b, a, n + 1);
		acc += strlen(b);
		b[rep] = 0;
		acc += strlen(b);
	}
	sink = acc;
	free(a);
	free(b);
}

/* Syscalls: a getppid loop (cheap kernel round trip). */
static void ph_syscall(void)
{
	uint64_t acc = 0;

	for (unsigned i = 0; i < 1600000u * scale; i++)
		acc += (uint64_t)getppid();
	sink = acc;
}

/* Page faults: map, touch every page, unmap. */
static void ph_pagefault(void)
{
	const size_t len = 8u << 20;
	uint64_t acc = 0;

	for (int rep = 0; rep < 48 * scale; rep++) {
		char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED) {
			perror("cpubench: mmap");
			exit(1);
		}
		for (size_t off = 0; off < len; off += 4096)
			p[off] = (char)off;
		acc += (unsigned char)p[len - 4096];
		munmap(p, len);
	}
	sink = acc;
}

/* Fork: fork + _exit + waitpid. */
static void ph_fork(void)
{
	for (int i = 0; i < 1000 * scale; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			perror("cpubench: fork");
			exit(1);
		}
		if (pid == 0)
			_exit(0);
		waitpid(pid, NULL, 0);
	}
}

static const struct phase {
	const char *name;
	void (*fn)(void);
} phases[] = {
	{ "integer", ph_integer },   { "sort", ph_sort },         { "float", ph_float },
	{ "memory", ph_memory },     { "memcpy", ph_memcpy },     { "syscall", ph_syscall },
	{ "pagefault", ph_pagefault }, { "fork", ph_fork },
};
#define NPHASES (sizeof(phases) / sizeof(phases[0]))

static void run(const struct phase *p)
{
	double t0 = now_ms();

	p->fn();
	printf("cpubench %s %.1f\n", p->name, now_ms() - t0);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	int i = 1, any = 0;

	if (i + 1 < argc && !strcmp(argv[i], "--scale")) {
		scale = atoi(argv[i + 1]);
		if (scale < 1)
			scale = 1;
		i += 2;
	}
	printf("cpubench start\n");
	fflush(stdout);
	for (; i < argc; i++) {
		size_t k;

		for (k = 0; k < NPHASES; k++)
			if (!strcmp(argv[i], phases[k].name))
				break;
		if (k == NPHASES) {
			fprintf(stderr, "cpubench: unknown phase %s (phases: integer sort float memory "
					"memcpy syscall pagefault fork)\n", argv[i]);
			return 2;
		}
		run(&phases[k]);
		any = 1;
	}
	if (!any)
		for (size_t k = 0; k < NPHASES; k++)
			run(&phases[k]);
	printf("cpubench done\n");
	return 0;
}
