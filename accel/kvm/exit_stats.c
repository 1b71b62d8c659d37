// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * With --debug, what brought each vCPU back from KVM_RUN to hover: a count
 * per exit reason, per I/O port and per MMIO page, logged when the vCPU's run
 * ends. Every such exit is a round trip through the host kernel and hover;
 * in a nested guest, where each one is an emulated VM exit, they are what a
 * slow boot is made of. Exits KVM handles itself (the in-kernel PIT, PIC,
 * IOAPIC and local APIC, page faults) never reach hover: its debugfs
 * statistics (/sys/kernel/debug/kvm/PID-FD/) count those.
 *
 * Reference: Documentation/virt/kvm/api.rst 5, "The kvm_run structure".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accel/kvm/kvm_int.h"
#include "include/hover/log.h"

#define EXIT_REASONS 64
#define MMIO_PAGES   32
#define TOP_N	     12

struct kvma_exit_stats {
	u64 reason[EXIT_REASONS];
	u32 port[65536];
	struct {
		u64 page;
		u64 n;
	} mmio[MMIO_PAGES];
	unsigned nmmio;
	u64 mmio_other; /* exits on pages past the first MMIO_PAGES seen */
};

int accel_kvm_exit_stats_create(struct kvma_exit_stats **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

void accel_kvm_exit_stats_destroy(struct kvma_exit_stats *s)
{
	free(s);
}

static void count_mmio(struct kvma_exit_stats *s, u64 addr)
{
	u64 page = addr & ~0xfffULL;

	for (unsigned i = 0; i < s->nmmio; i++) {
		if (s->mmio[i].page == page) {
			s->mmio[i].n++;
			return;
		}
	}
	if (s->nmmio == MMIO_PAGES) {
		s->mmio_other++;
		return;
	}
	s->mmio[s->nmmio].page = page;
	s->mmio[s->nmmio].n = 1;
	s->nmmio++;
}

void accel_kvm_exit_stats_count(struct kvma_exit_stats *s, const struct kvm_run *run)
{
	s->reason[run->exit_reason < EXIT_REASONS ? run->exit_reason : EXIT_REASONS - 1]++;
	if (run->exit_reason == KVM_EXIT_IO)
		s->port[run->io.port]++;
	else if (run->exit_reason == KVM_EXIT_MMIO)
		count_mmio(s, run->mmio.phys_addr);
}

/* The n busiest ports, most exits first, as "0x3f8 1234, 0x3fd 1200, ...". */
static void top_ports(const struct kvma_exit_stats *s, char *buf, size_t len)
{
	unsigned top[TOP_N], ntop = 0;
	size_t used = 0;

	for (unsigned p = 0; p < 65536; p++) {
		unsigned j;

		if (!s->port[p])
			continue;
		if (ntop == TOP_N && s->port[p] <= s->port[top[TOP_N - 1]])
			continue;
		if (ntop < TOP_N)
			ntop++;
		for (j = ntop - 1; j > 0 && s->port[top[j - 1]] < s->port[p]; j--)
			top[j] = top[j - 1];
		top[j] = p;
	}
	buf[0] = 0;
	for (unsigned i = 0; i < ntop && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%#x %u", i ? ", " : "", top[i],
					 s->port[top[i]]);
}

void accel_kvm_exit_stats_report(const struct kvma_exit_stats *s, unsigned index,
				 const char *(*name)(u32 reason))
{
	char buf[1024];
	size_t used = 0;
	u64 total = 0;

	buf[0] = 0;
	for (u32 r = 0; r < EXIT_REASONS && used < sizeof(buf); r++) {
		if (!s->reason[r])
			continue;
		total += s->reason[r];
		used += (size_t)snprintf(buf + used, sizeof(buf) - used, ", %s %llu", name(r),
					 (unsigned long long)s->reason[r]);
	}
	log_debug("kvm: vcpu%u: %llu exits to hover%s", index, (unsigned long long)total, buf);
	top_ports(s, buf, sizeof(buf));
	if (buf[0])
		log_debug("kvm: vcpu%u: port I/O exits, busiest ports: %s", index, buf);
	used = 0;
	buf[0] = 0;
	for (unsigned i = 0; i < s->nmmio && used < sizeof(buf); i++)
		used += (size_t)snprintf(buf + used, sizeof(buf) - used, "%s%#llx %llu",
					 i ? ", " : "", (unsigned long long)s->mmio[i].page,
					 (unsigned long long)s->mmio[i].n);
	if (buf[0])
		log_debug("kvm: vcpu%u: MMIO exits by page: %s%s", index, buf,
			  s->mmio_other ? " (and more on other pages)" : "");
}
