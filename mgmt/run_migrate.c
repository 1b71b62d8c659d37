// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The outgoing-migration worker (run_migrate.h). One job at a time: the API
 * hands it a request under m->lock and returns at once; the worker connects,
 * migrates (machine/pc_migrate_out.c) and records how it went. On success
 * the VM stops as VM_MIGRATED and `hover run` exits 0; on failure the VM
 * runs on and GET /vm/migrate says why.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "include/hover/log.h"
#include "include/hover/timer.h"
#include "machine/pc_migrate.h"
#include "migration/migrate_chan.h"
#include "mgmt/run_migrate.h"

enum job_state { JOB_NONE, JOB_ACTIVE, JOB_COMPLETED, JOB_FAILED };
static const char *const state_names[] = { "none", "active", "completed", "failed" };

struct run_migrate {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t thread;
	bool started, quit, queued;
	_Atomic bool cancel;
	int fd; /* the connection while a job runs, -1 otherwise */
	vm_thread_enter_fn *enter;
	void *enter_opaque;
	/* The job: what was asked, and how it goes. */
	enum job_state state;
	struct pc *pc;
	struct run_migrate_req req;
	char to[320];
	struct pc_migrate_progress prog;
	char phase[32];
	char error[1024];
	u64 started_ns;
};

int run_migrate_create(struct run_migrate **out)
{
	struct run_migrate *m = calloc(1, sizeof(*m));

	if (!m)
		return -ENOMEM;
	pthread_mutex_init(&m->lock, NULL);
	pthread_cond_init(&m->cond, NULL);
	m->fd = -1;
	*out = m;
	return 0;
}

static void on_progress(void *opaque, const struct pc_migrate_progress *p)
{
	struct run_migrate *m = opaque;

	pthread_mutex_lock(&m->lock);
	m->prog = *p;
	snprintf(m->phase, sizeof(m->phase), "%s", p->phase ? p->phase : "");
	pthread_mutex_unlock(&m->lock);
}

static int run_job(struct run_migrate *m, char *err, size_t errlen)
{
	struct migrate_addr a;
	struct pc_migrate_params p = {
		.max_downtime_ns = m->req.max_downtime_ns, .bandwidth = m->req.bandwidth,
		.max_rounds = m->req.max_rounds, .args = m->req.args, .nargs = m->req.nargs,
	};
	int fd, ret = migrate_addr_parse(m->to, &a, err, errlen);

	if (!ret)
		ret = migrate_chan_connect(&a, &fd, err, errlen);
	if (ret)
		return ret;
	pthread_mutex_lock(&m->lock);
	m->fd = fd;
	pthread_mutex_unlock(&m->lock);
	p.fd = fd;
	ret = pc_migrate_out(m->pc, &p, on_progress, m, &m->cancel, err, errlen);
	pthread_mutex_lock(&m->lock);
	m->fd = -1;
	pthread_mutex_unlock(&m->lock);
	close(fd);
	return ret;
}

static void *worker(void *opaque)
{
	struct run_migrate *m = opaque;
	char err[1024];

	if (m->enter && m->enter(m->enter_opaque, VM_THREAD_MIGRATE, 0))
		return NULL;
	pthread_mutex_lock(&m->lock);
	for (;;) {
		int ret;

		while (!m->queued && !m->quit)
			pthread_cond_wait(&m->cond, &m->lock);
		if (m->quit)
			break;
		pthread_mutex_unlock(&m->lock);
		err[0] = 0;
		ret = run_job(m, err, sizeof(err));
		pthread_mutex_lock(&m->lock);
		m->state = ret ? JOB_FAILED : JOB_COMPLETED;
		snprintf(m->error, sizeof(m->error), "%s", ret ? err : "");
		m->queued = false;
		if (ret)
			log_error("migration to %s failed, the VM runs on here: %s", m->to, err);
		else
			log_info("migrated to %s: %.1f MiB in %.0f ms, %u rounds, paused %.1f ms",
				 m->to, m->prog.bytes_sent / (double)MiB, m->prog.total_ns / 1e6,
				 m->prog.rounds, m->prog.downtime_ns / 1e6);
		pthread_cond_broadcast(&m->cond);
	}
	pthread_mutex_unlock(&m->lock);
	return NULL;
}

int run_migrate_start(struct run_migrate *m, vm_thread_enter_fn *enter, void *opaque)
{
	if (m->started)
		return 0;
	m->enter = enter;
	m->enter_opaque = opaque;
	if (pthread_create(&m->thread, NULL, worker, m))
		return -EAGAIN;
	m->started = true;
	return 0;
}

int run_migrate_request(struct run_migrate *m, struct pc *pc, const struct run_migrate_req *req,
			char *err, size_t errlen)
{
	struct migrate_addr a;
	u8 probe[16];
	int ret = migrate_addr_parse(req->to, &a, err, errlen);

	if (ret)
		return ret;
	/* The worker's sandbox opens no files, so it cannot read /etc/hosts: numbers only. */
	if (!a.unix_path && !strcmp(a.host, "localhost"))
		snprintf(a.host, sizeof(a.host), "127.0.0.1");
	if (!a.unix_path && inet_pton(AF_INET, a.host, probe) != 1 &&
	    inet_pton(AF_INET6, a.host, probe) != 1) {
		snprintf(err, errlen, "%s: give the destination's IP address (the VM's sandbox "
			 "resolves no host names; `hover migrate` does it for you)", req->to);
		return -EINVAL;
	}
	pthread_mutex_lock(&m->lock);
	if (!m->started) {
		ret = -ENOTSUP;
		snprintf(err, errlen, "this VM cannot migrate (no migration thread)");
	} else if (m->queued) {
		ret = -EBUSY;
		snprintf(err, errlen, "a migration to %s is already under way", m->to);
	} else {
		m->req = *req;
		m->pc = pc;
		if (a.unix_path)
			snprintf(m->to, sizeof(m->to), "unix:%s", a.host);
		else
			snprintf(m->to, sizeof(m->to), "tcp:%s%s%s:%s", strchr(a.host, ':') ? "[" : "",
				 a.host, strchr(a.host, ':') ? "]" : "", a.port);
		memset(&m->prog, 0, sizeof(m->prog));
		snprintf(m->phase, sizeof(m->phase), "connecting");
		m->error[0] = 0;
		m->state = JOB_ACTIVE;
		m->started_ns = clock_ns();
		m->queued = true;
		atomic_store(&m->cancel, false);
		pthread_cond_broadcast(&m->cond);
	}
	pthread_mutex_unlock(&m->lock);
	return ret;
}

json_t *run_migrate_status(struct run_migrate *m)
{
	json_t *o;

	pthread_mutex_lock(&m->lock);
	o = json_pack("{s:s,s:s,s:s,s:i,s:I,s:I,s:I,s:I,s:f,s:f,s:f,s:b}",
		      "state", state_names[m->state], "to", m->to, "phase", m->phase,
		      "rounds", (int)m->prog.rounds,
		      "bytes_sent", (json_int_t)m->prog.bytes_sent,
		      "pages_sent", (json_int_t)m->prog.pages_sent,
		      "remaining_bytes", (json_int_t)m->prog.remaining_bytes,
		      "rate_bytes_per_s", (json_int_t)m->prog.rate,
		      "expected_downtime_ms", m->prog.expected_downtime_ns / 1e6,
		      "downtime_ms", m->prog.downtime_ns / 1e6,
		      "total_ms", m->state == JOB_ACTIVE ? (clock_ns() - m->started_ns) / 1e6
							 : m->prog.total_ns / 1e6,
		      "converged", m->prog.converged);
	if (o && m->state == JOB_FAILED)
		json_object_set_new(o, "error", json_string(m->error));
	pthread_mutex_unlock(&m->lock);
	return o;
}

void run_migrate_release(struct run_migrate *m)
{
	if (!m)
		return;
	pthread_mutex_lock(&m->lock);
	atomic_store(&m->cancel, true);
	/* A peer that went quiet must not hold the reboot or exit for the I/O time limit. */
	if (m->fd >= 0 && m->state == JOB_ACTIVE)
		shutdown(m->fd, SHUT_RDWR);
	while (m->queued)
		pthread_cond_wait(&m->cond, &m->lock);
	m->pc = NULL;
	pthread_mutex_unlock(&m->lock);
}

void run_migrate_destroy(struct run_migrate *m)
{
	if (!m)
		return;
	if (m->started) {
		pthread_mutex_lock(&m->lock);
		m->quit = true;
		pthread_cond_broadcast(&m->cond);
		pthread_mutex_unlock(&m->lock);
		pthread_join(m->thread, NULL);
	}
	pthread_cond_destroy(&m->cond);
	pthread_mutex_destroy(&m->lock);
	free(m);
}
