// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Guest RAM backings (hover run --mem-hugepages, --mem-merge).
 *
 * - hugetlb: memfd(MFD_HUGETLB) from the pages the administrator reserved
 *   (/proc/sys/vm/nr_hugepages; Documentation/admin-guide/mm/hugetlbpage.rst).
 *   They are counted before asking: a hugetlb mapping that runs short later
 *   kills the process with SIGBUS on a guest's page fault.
 * - THP: MADV_HUGEPAGE (Documentation/admin-guide/mm/transhuge.rst). Shared
 *   memfd memory follows transparent_hugepage/shmem_enabled, anonymous memory
 *   transparent_hugepage/enabled; the RAM is mapped privately (anonymous)
 *   when only the latter allows huge pages.
 * - KSM (Documentation/admin-guide/mm/ksm.rst): MADV_MERGEABLE. KSM merges
 *   only anonymous pages, so merged RAM is mapped privately too; it merges
 *   nothing while /sys/kernel/mm/ksm/run is 0, which is said.
 *
 * Every choice ends up in one sentence (why) that hover run logs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "core/ram_int.h"
#include "include/hover/ram.h"

#define HUGE_2M (2ULL << 20)

/* A "key: value" line of /proc/meminfo; -1 if absent. */
static long long meminfo(const char *key)
{
	char line[256];
	size_t n = strlen(key);
	long long v = -1;
	FILE *f = fopen("/proc/meminfo", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n) && line[n] == ':') {
			v = strtoll(line + n + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

/* The bracketed choice of a sysfs "always [madvise] never" file, or "" if unreadable. */
static void sysfs_choice(const char *path, char *out, size_t len)
{
	char buf[256], *l, *r;
	FILE *f = fopen(path, "re");

	out[0] = '\0';
	if (!f)
		return;
	if (fgets(buf, sizeof(buf), f) && (l = strchr(buf, '[')) && (r = strchr(l, ']'))) {
		*r = '\0';
		snprintf(out, len, "%s", l + 1);
	}
	fclose(f);
}

static int sysfs_int(const char *path)
{
	FILE *f = fopen(path, "re");
	int v = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%d", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

/* Free 2 MiB hugetlb pages not promised to another mapping. */
static long long hugetlb_free(void)
{
	long long size_kb = meminfo("Hugepagesize"), free = meminfo("HugePages_Free"),
		  rsvd = meminfo("HugePages_Rsvd");

	if (size_kb != 2048 || free < 0)
		return 0;
	return free - (rsvd > 0 ? rsvd : 0);
}

static void say(char *why, size_t len, const char *fmt, const char *a, const char *b)
{
	if (why && len)
		snprintf(why, len, fmt, a, b);
}

int ram_create_backed(struct guest_ram *ram, u64 size, const struct ram_backing *b, char *why,
		      size_t whylen)
{
	char shmem[32], anon[32], text[320] = "";
	bool merge = b && b->merge, private = merge, thp = false;
	enum ram_pages pages = b ? b->pages : RAM_PAGES_SMALL;
	int ret;

	if (why && whylen)
		why[0] = '\0';
	if (pages == RAM_PAGES_AUTO || pages == RAM_PAGES_HUGETLB) {
		long long have = hugetlb_free(), need = (long long)((size + HUGE_2M - 1) / HUGE_2M);

		if (have >= need && size % HUGE_2M == 0 && !merge) {
			ret = ram_create_layout(ram, size, MFD_HUGETLB, HUGE_2M, false);
			if (ret == 0) {
				ram->hugetlb = true;
				snprintf(text, sizeof(text), "%lld of the host's %lld free 2 MiB pages",
					 need, have);
				say(why, whylen, "guest RAM: hugetlb pages (%s)%s", text, "");
				return 0;
			}
		}
		if (pages == RAM_PAGES_HUGETLB) {
			if (merge)
				snprintf(text, sizeof(text), "KSM cannot merge hugetlb pages: drop "
					 "--mem-merge or use --mem-hugepages=thp");
			else if (size % HUGE_2M)
				snprintf(text, sizeof(text), "the RAM size is not a multiple of 2 MiB");
			else
				snprintf(text, sizeof(text), "the host has %lld free 2 MiB hugetlb pages, "
					 "the guest needs %lld: reserve more (echo N > "
					 "/proc/sys/vm/nr_hugepages) or use --mem-hugepages=thp",
					 have, need);
			say(why, whylen, "--mem-hugepages=hugetlb: %s%s", text, "");
			return -EINVAL; /* asked for what this host cannot give: not a host failure */
		}
		snprintf(text, sizeof(text), "no hugetlb pages: %lld free, %lld needed; ", have,
			 need);
		pages = RAM_PAGES_THP;
	}
	if (pages == RAM_PAGES_THP) {
		sysfs_choice("/sys/kernel/mm/transparent_hugepage/shmem_enabled", shmem,
			     sizeof(shmem));
		sysfs_choice("/sys/kernel/mm/transparent_hugepage/enabled", anon, sizeof(anon));
		thp = true;
		if (strcmp(shmem, "always") && strcmp(shmem, "advise") &&
		    strcmp(shmem, "within_size") && strcmp(shmem, "force"))
			private = true; /* shared memfd memory would never get huge pages */
		if (private && strcmp(anon, "always") && strcmp(anon, "madvise"))
			thp = false;
	}
	ret = ram_create_layout(ram, size, 0, 4096, private);
	if (ret)
		return ret;
	for (unsigned i = 0; i < ram->nregions; i++) {
		struct ram_region *r = &ram->region[i];

		if (thp && madvise(r->hva, r->size, MADV_HUGEPAGE))
			thp = false;
		if (merge && madvise(r->hva, r->size, MADV_MERGEABLE))
			merge = false;
	}
	ram->thp = thp;
	ram->mergeable = merge;
	if (pages == RAM_PAGES_THP && !thp)
		strncat(text, "transparent huge pages are off on this host "
			"(/sys/kernel/mm/transparent_hugepage/enabled is not madvise or always); "
			"4 KiB pages", sizeof(text) - strlen(text) - 1);
	else if (pages == RAM_PAGES_THP)
		strncat(text, private ? "transparent huge pages (MADV_HUGEPAGE, anonymous memory)"
				      : "transparent huge pages (MADV_HUGEPAGE, shmem)",
			sizeof(text) - strlen(text) - 1);
	if (b && b->merge) {
		int run = sysfs_int("/sys/kernel/mm/ksm/run");

		say(why, whylen, "guest RAM: %s%s", text[0] ? text : "4 KiB pages",
		    !merge ? "; KSM refused MADV_MERGEABLE (kernel without CONFIG_KSM?)"
		    : run == 1 ? "; KSM merging on (MADV_MERGEABLE)"
			       : "; marked MADV_MERGEABLE, but KSM is off on this host "
				 "(/sys/kernel/mm/ksm/run is not 1): nothing merges until root "
				 "writes 1 there");
	} else if (text[0]) {
		say(why, whylen, "guest RAM: %s%s", text, "");
	}
	return 0;
}
