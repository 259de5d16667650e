// SPDX-License-Identifier: MIT
/*
 * qmp.c - the QMP server: a unix socket, one client at a time, a thread.
 *
 * The thread polls the listening socket (only while nobody is connected:
 * QEMU's socket chardev serves one connection and leaves the next one in
 * the backlog), the client, and a pipe that wakes it for events and for
 * stopping. Commands run on this thread; device threads only queue
 * events.
 *
 * MEMORY_DEVICE_SIZE_CHANGE comes from a size listener on each device, as
 * QEMU's comes from virtio_mem_pci_size_change_notify(). QEMU throttles it
 * per qom-path (monitor/monitor.c): the first event goes out at once and
 * arms a timer of one second; events before the timer fires replace each
 * other, the last one goes out when it fires and re-arms it; a timer that
 * fires with nothing stored disarms. An event keeps the timestamp of the
 * moment the size changed, even when it is sent later.
 *
 * Locking: s->lock protects the event state (the queue, each device's
 * timer and stored event) and s->stopping. Listeners take it from device
 * threads; the server thread never calls into a device while holding it.
 */
#include "qmp_int.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* QEMU's listen() backlog for a socket chardev. */
#define QMP_LISTEN_BACKLOG 1
/* Wake-up bytes read per call when draining the pipe. */
#define QMP_DRAIN_CHUNK 64
/* Bytes read from the client at once. */
#define QMP_READ_CHUNK 4096
/* QEMU's MEMORY_DEVICE_SIZE_CHANGE rate limit. */
#define QMP_DEFAULT_RATE_MS 1000

/* QEMU's MonitorQAPIEventState: one per throttled event and key (the
 * qom-path of MEMORY_DEVICE_SIZE_CHANGE; BALLOON_CHANGE has none). */
struct throttle {
	bool armed;
	struct timespec deadline;
	json_t *stored; /* the latest event held back */
};

/* A device whose events the server sends: its listener and throttle. */
struct watch {
	struct qmp_server *server;
	struct throttle t;
	const struct qmp_device *vmem; /* or NULL */
	struct memhp_vmem_size_listener vmem_listener;
	struct memhp_vballoon_dev *balloon; /* or NULL */
	struct memhp_vballoon_listener balloon_listener;
};

struct qmp_server {
	struct qmp_vm *vm;
	char *path;
	int lfd, cfd;
	int wake[2];
	pthread_t thread;
	pthread_mutex_t lock;
	bool stopping;
	bool quit; /* "quit" ran: serve nobody any more */
	struct qmp_session *session;
	struct watch **watches;
	size_t nr_watches;
	json_t **queue; /* events to send, oldest first */
	size_t nr_queued, cap_queue;
	unsigned int rate_ms;
};

static void set_err(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_err(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!buf || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

static void wake(struct qmp_server *s)
{
	const char c = 0;

	/* A full pipe already holds a wake-up. */
	if (write(s->wake[1], &c, 1) < 0 && errno != EAGAIN)
		return;
}

static struct timespec deadline_after(unsigned int ms)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	t.tv_sec += ms / 1000;
	t.tv_nsec += (long)(ms % 1000) * 1000000;
	if (t.tv_nsec >= 1000000000) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000;
	}
	return t;
}

/* Called with s->lock held; takes the reference. */
static void enqueue(struct qmp_server *s, json_t *ev)
{
	if (s->nr_queued == s->cap_queue) {
		size_t cap = s->cap_queue ? s->cap_queue * 2 : 8;
		json_t **q = realloc(s->queue, cap * sizeof(*q));

		if (!q) {
			json_decref(ev);
			return;
		}
		s->queue = q;
		s->cap_queue = cap;
	}
	s->queue[s->nr_queued++] = ev;
}

/* monitor_qapi_event_queue_no_reenter(): the first event goes out, the
 * ones within the rate replace each other. Takes the reference. */
static void throttled_emit(struct qmp_server *s, struct throttle *t, json_t *ev)
{
	if (!ev)
		return;
	pthread_mutex_lock(&s->lock);
	if (!t->armed) {
		enqueue(s, ev);
		t->armed = true;
		t->deadline = deadline_after(s->rate_ms);
	} else {
		json_decref(t->stored);
		t->stored = ev;
	}
	pthread_mutex_unlock(&s->lock);
	wake(s);
}

/* A device's plugged size changed (device thread, or a system reset). */
static void on_size_changed(struct memhp_vmem_dev *dev, uint64_t size, void *priv)
{
	struct watch *w = priv;
	struct timeval tv;

	(void)dev;
	gettimeofday(&tv, NULL);
	throttled_emit(w->server, &w->t,
		       qmp_event_new("MEMORY_DEVICE_SIZE_CHANGE", tv.tv_sec, tv.tv_usec,
				     qmp_size_change_data(w->vmem, size)));
}

/* The guest wrote a new "actual" (its driver's thread). */
static void on_balloon_change(struct memhp_vballoon_dev *dev, uint64_t logical, void *priv)
{
	struct watch *w = priv;
	struct timeval tv;
	json_t *data = json_object();

	(void)dev;
	gettimeofday(&tv, NULL);
	if (data && json_object_set_new(data, "actual", json_integer((json_int_t)logical))) {
		json_decref(data);
		data = NULL;
	}
	if (data)
		throttled_emit(w->server, &w->t,
			       qmp_event_new("BALLOON_CHANGE", tv.tv_sec, tv.tv_usec, data));
}

/* An event of the model (ACPI_DEVICE_OST, DEVICE_DELETED): not throttled. */
static void model_event(void *priv, json_t *ev)
{
	struct qmp_server *s = priv;

	pthread_mutex_lock(&s->lock);
	enqueue(s, ev);
	pthread_mutex_unlock(&s->lock);
	wake(s);
}

/* Start listening to a device. Returns 0 or -ENOMEM. */
static int watch_add(struct qmp_server *s, const struct qmp_device *vmem,
		     struct memhp_vballoon_dev *balloon)
{
	struct watch *w = calloc(1, sizeof(*w)), **ws;

	if (!w)
		return -ENOMEM;
	pthread_mutex_lock(&s->lock);
	ws = realloc(s->watches, (s->nr_watches + 1) * sizeof(*ws));
	if (ws) {
		s->watches = ws;
		s->watches[s->nr_watches++] = w;
	}
	pthread_mutex_unlock(&s->lock);
	if (!ws) {
		free(w);
		return -ENOMEM;
	}
	w->server = s;
	if (vmem) {
		w->vmem = vmem;
		w->vmem_listener.fn = on_size_changed;
		w->vmem_listener.priv = w;
		memhp_vmem_dev_add_size_listener(vmem->dev, &w->vmem_listener);
	} else {
		w->balloon = balloon;
		w->balloon_listener.fn = on_balloon_change;
		w->balloon_listener.priv = w;
		memhp_vballoon_dev_add_listener(balloon, &w->balloon_listener);
	}
	return 0;
}

/* Stop listening; afterwards no listener of the watch runs. */
static void watch_stop(struct watch *w)
{
	if (w->vmem)
		memhp_vmem_dev_remove_size_listener(w->vmem->dev, &w->vmem_listener);
	if (w->balloon)
		memhp_vballoon_dev_remove_listener(w->balloon, &w->balloon_listener);
}

static void watches_free(struct qmp_server *s)
{
	for (size_t i = 0; i < s->nr_watches; i++) {
		json_decref(s->watches[i]->t.stored);
		free(s->watches[i]);
	}
	free(s->watches);
	s->watches = NULL;
	s->nr_watches = 0;
}

static bool expired(const struct timespec *deadline, const struct timespec *now)
{
	return now->tv_sec > deadline->tv_sec ||
	       (now->tv_sec == deadline->tv_sec && now->tv_nsec >= deadline->tv_nsec);
}

/* Fire due timers; returns the poll() timeout until the next one (-1:
 * none). Called with s->lock held. */
static int run_timers(struct qmp_server *s)
{
	struct timespec now;
	long long next = -1;

	clock_gettime(CLOCK_MONOTONIC, &now);
	for (size_t i = 0; i < s->nr_watches; i++) {
		struct throttle *t = &s->watches[i]->t;
		long long ms;

		if (!t->armed)
			continue;
		if (expired(&t->deadline, &now)) {
			if (!t->stored) {
				t->armed = false;
				continue;
			}
			enqueue(s, t->stored);
			t->stored = NULL;
			t->deadline = deadline_after(s->rate_ms);
		}
		ms = (t->deadline.tv_sec - now.tv_sec) * 1000LL +
		     (t->deadline.tv_nsec - now.tv_nsec + 999999) / 1000000;
		if (ms < 0)
			ms = 0;
		if (next < 0 || ms < next)
			next = ms;
	}
	return next > INT32_MAX ? INT32_MAX : (int)next;
}

/* ---- The client ------------------------------------------------------------------ */

static void drop_client(struct qmp_server *s)
{
	qmp_session_free(s->session);
	s->session = NULL;
	if (s->cfd >= 0)
		close(s->cfd);
	s->cfd = -1;
}

static bool stopping(struct qmp_server *s)
{
	bool stop;

	pthread_mutex_lock(&s->lock);
	stop = s->stopping;
	pthread_mutex_unlock(&s->lock);
	return stop;
}

/* Write everything to the client, waiting while its socket is full. A
 * client that stops reading can hold up the thread, but not
 * qmp_server_stop(): the wake pipe ends the wait. */
static void client_write(void *priv, const char *buf, size_t len)
{
	struct qmp_server *s = priv;

	while (len && s->cfd >= 0) {
		ssize_t n = send(s->cfd, buf, len, MSG_NOSIGNAL);
		struct pollfd pfd[2] = { { s->cfd, POLLOUT, 0 }, { s->wake[0], POLLIN, 0 } };

		if (n > 0) {
			buf += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
			/* Gone: the read side notices and cleans up. */
			shutdown(s->cfd, SHUT_RDWR);
			return;
		}
		if (poll(pfd, 2, -1) < 0 && errno != EINTR)
			return;
		if ((pfd[1].revents & POLLIN) && stopping(s))
			return;
		if (pfd[1].revents & POLLIN) {
			/* An event's wake-up: the main loop looks at the
			 * queue anyway. Drain it so poll() blocks again. */
			char c[QMP_DRAIN_CHUNK];

			while (read(s->wake[0], c, sizeof(c)) > 0)
				;
		}
	}
}

static void accept_client(struct qmp_server *s)
{
	int fd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (fd < 0)
		return;
	s->cfd = fd;
	s->session = qmp_session_new(s->vm, client_write, s);
	if (!s->session)
		drop_client(s);
}

static void read_client(struct qmp_server *s)
{
	char buf[QMP_READ_CHUNK];
	ssize_t n = recv(s->cfd, buf, sizeof(buf), 0);

	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n <= 0) {
		/* QEMU forgets a half-read message with the connection. */
		drop_client(s);
		return;
	}
	if (!qmp_session_feed(s->session, buf, (size_t)n)) {
		/* QEMU exits after "quit": nobody else gets in, then the
		 * client sees the end of the stream. */
		close(s->lfd);
		s->lfd = -1;
		drop_client(s);
		s->quit = true;
		if (s->vm->quit)
			s->vm->quit(s->vm->priv);
	}
}

static void send_events(struct qmp_server *s)
{
	json_t **q;
	size_t n;

	pthread_mutex_lock(&s->lock);
	q = s->queue;
	n = s->nr_queued;
	s->queue = NULL;
	s->nr_queued = s->cap_queue = 0;
	pthread_mutex_unlock(&s->lock);
	for (size_t i = 0; i < n; i++) {
		if (s->session)
			qmp_session_event(s->session, q[i]);
		else
			json_decref(q[i]);
	}
	free(q);
}

static void *server_thread(void *arg)
{
	struct qmp_server *s = arg;

	for (;;) {
		struct pollfd pfd[2];
		nfds_t n = 0;
		int timeout;

		pthread_mutex_lock(&s->lock);
		if (s->stopping) {
			pthread_mutex_unlock(&s->lock);
			break;
		}
		timeout = run_timers(s);
		pthread_mutex_unlock(&s->lock);
		send_events(s);

		pfd[n++] = (struct pollfd){ s->wake[0], POLLIN, 0 };
		if (s->cfd >= 0)
			pfd[n++] = (struct pollfd){ s->cfd, POLLIN, 0 };
		else if (s->lfd >= 0)
			pfd[n++] = (struct pollfd){ s->lfd, POLLIN, 0 };
		if (poll(pfd, n, timeout) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[0].revents & POLLIN) {
			char c[QMP_DRAIN_CHUNK];

			while (read(s->wake[0], c, sizeof(c)) > 0)
				;
		}
		/* Events queued before the client's bytes arrived go first,
		 * with the client's state of that moment (QEMU emits them
		 * synchronously). */
		pthread_mutex_lock(&s->lock);
		run_timers(s);
		pthread_mutex_unlock(&s->lock);
		send_events(s);
		if (n > 1 && pfd[1].revents) {
			if (s->cfd >= 0 && pfd[1].fd == s->cfd)
				read_client(s);
			else if (s->lfd >= 0 && pfd[1].fd == s->lfd)
				accept_client(s);
		}
	}
	drop_client(s);
	return NULL;
}

/* ---- Starting and stopping -------------------------------------------------------- */

/* QEMU's id_wellformed(): a letter, then letters, digits, '-', '.', '_'. */
static bool id_wellformed(const char *id)
{
	if (!id || !((*id >= 'a' && *id <= 'z') || (*id >= 'A' && *id <= 'Z')))
		return false;
	for (const char *p = id; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || strchr("-._", *p)))
			return false;
	return true;
}

static int check_vm(const struct qmp_vm *vm, char *err, size_t errlen)
{
	if (!vm || (vm->nr_devices && !vm->devices)) {
		set_err(err, errlen, "qmp: no VM to serve");
		return -EINVAL;
	}
	if (vm->balloon &&
	    (!vm->balloon->dev || (vm->balloon->id && !id_wellformed(vm->balloon->id)))) {
		set_err(err, errlen,
			"qmp: the balloon needs a device and a well-formed id or none");
		return -EINVAL;
	}
	for (size_t i = 0; i < vm->nr_devices; i++) {
		const struct qmp_device *d = &vm->devices[i];

		if (!d->dev || !id_wellformed(d->id) || !id_wellformed(d->memdev)) {
			set_err(err, errlen,
				"qmp: device %zu needs a device, an id and a memdev, each id a "
				"letter "
				"followed by letters, digits, '-', '.' or '_'",
				i);
			return -EINVAL;
		}
		for (size_t j = 0; j < i; j++) {
			if (!strcmp(vm->devices[j].id, d->id) ||
			    !strcmp(vm->devices[j].memdev, d->memdev)) {
				set_err(err, errlen,
					"qmp: device %zu reuses the id or memdev of device %zu", i,
					j);
				return -EINVAL;
			}
		}
	}
	return 0;
}

/* "unix:PATH[,server=on][,wait=off]"; the path goes to *@path. */
static int parse_spec(const char *spec, char **path, char *err, size_t errlen)
{
	const char *p, *comma;

	if (!spec || strncmp(spec, "unix:", 5)) {
		set_err(err, errlen, "qmp: '%s' is not unix:PATH", spec ? spec : "(null)");
		return -EINVAL;
	}
	p = spec + 5;
	comma = strchr(p, ',');
	*path = strndup(p, comma ? (size_t)(comma - p) : strlen(p));
	if (!*path) {
		set_err(err, errlen, "qmp: out of memory");
		return -ENOMEM;
	}
	if (!**path) {
		set_err(err, errlen, "qmp: '%s' has no path", spec);
		goto inval;
	}
	while (comma) {
		const char *opt = comma + 1;
		size_t len;

		comma = strchr(opt, ',');
		len = comma ? (size_t)(comma - opt) : strlen(opt);
		/* The server never waits for a client, so these are all
		 * memhp can honour. */
		if ((len == 9 && !strncmp(opt, "server=on", 9)) ||
		    (len == 8 && !strncmp(opt, "wait=off", 8)) ||
		    (len == 6 && !strncmp(opt, "server", 6)) ||
		    (len == 6 && !strncmp(opt, "nowait", 6)))
			continue;
		set_err(err, errlen,
			"qmp: unsupported option '%.*s' in '%s' (server=on,wait=off only)",
			(int)len, opt, spec);
		goto inval;
	}
	return 0;
inval:
	free(*path);
	*path = NULL;
	return -EINVAL;
}

static int listen_unix(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, ret;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		set_err(err, errlen, "qmp: socket path too long (%zu bytes, at most %zu): %s",
			strlen(path), sizeof(sa.sun_path) - 1, path);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, path);
	/* QEMU unlinks whatever is there; memhp only a stale socket. */
	if (!lstat(path, &st)) {
		if (!S_ISSOCK(st.st_mode)) {
			set_err(err, errlen, "qmp: %s exists and is not a socket", path);
			return -EEXIST;
		}
		unlink(path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		ret = -errno;
		set_err(err, errlen, "qmp: socket: %s", strerror(errno));
		return ret;
	}
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, QMP_LISTEN_BACKLOG)) {
		ret = -errno;
		set_err(err, errlen, "qmp: cannot listen on %s: %s", path, strerror(errno));
		close(fd);
		return ret;
	}
	return fd;
}

int qmp_server_start(const char *spec, struct qmp_vm *vm, struct qmp_server **out, char *errbuf,
		     size_t errlen)
{
	struct qmp_server *s;
	int ret;

	if (!out) {
		set_err(errbuf, errlen, "qmp: nowhere to put the server");
		return -EINVAL;
	}
	*out = NULL;
	ret = check_vm(vm, errbuf, errlen);
	if (ret)
		return ret;
	s = calloc(1, sizeof(*s));
	if (!s) {
		set_err(errbuf, errlen, "qmp: out of memory");
		return -ENOMEM;
	}
	s->vm = vm;
	s->cfd = -1;
	s->wake[0] = s->wake[1] = -1;
	s->rate_ms = vm->size_change_rate_ms ? vm->size_change_rate_ms : QMP_DEFAULT_RATE_MS;
	pthread_mutex_init(&s->lock, NULL);
	ret = parse_spec(spec, &s->path, errbuf, errlen);
	if (ret)
		goto fail;
	if (pipe2(s->wake, O_CLOEXEC | O_NONBLOCK)) {
		ret = -errno;
		set_err(errbuf, errlen, "qmp: pipe: %s", strerror(errno));
		goto fail;
	}
	s->lfd = listen_unix(s->path, errbuf, errlen);
	if (s->lfd < 0) {
		ret = s->lfd;
		goto fail;
	}
	ret = qmp_model_get(vm);
	if (!ret)
		qmp_model_set_emit(vm->model, model_event, s);
	for (size_t i = 0; i < vm->nr_devices && !ret; i++)
		ret = watch_add(s, &vm->devices[i], NULL);
	if (!ret && vm->balloon)
		ret = watch_add(s, NULL, vm->balloon->dev);
	if (ret)
		set_err(errbuf, errlen, "qmp: out of memory");
	else
		ret = -pthread_create(&s->thread, NULL, server_thread, s);
	if (ret) {
		if (ret != -ENOMEM)
			set_err(errbuf, errlen, "qmp: cannot start the server thread: %s",
				strerror(-ret));
		for (size_t i = 0; i < s->nr_watches; i++)
			watch_stop(s->watches[i]);
		watches_free(s);
		if (vm->model) {
			qmp_model_set_emit(vm->model, NULL, NULL);
			qmp_model_put(vm);
		}
		close(s->lfd);
		unlink(s->path);
		goto fail;
	}
	*out = s;
	return 0;
fail:
	if (s->wake[0] >= 0) {
		close(s->wake[0]);
		close(s->wake[1]);
	}
	pthread_mutex_destroy(&s->lock);
	free(s->path);
	free(s);
	return ret;
}

void qmp_server_stop(struct qmp_server *s)
{
	if (!s)
		return;
	/* No listener may run into a freed server. */
	for (size_t i = 0; i < s->nr_watches; i++)
		watch_stop(s->watches[i]);
	qmp_model_set_emit(s->vm->model, NULL, NULL);
	pthread_mutex_lock(&s->lock);
	s->stopping = true;
	pthread_mutex_unlock(&s->lock);
	wake(s);
	pthread_join(s->thread, NULL);

	for (size_t i = 0; i < s->nr_queued; i++)
		json_decref(s->queue[i]);
	watches_free(s);
	qmp_model_put(s->vm);
	free(s->queue);
	if (s->lfd >= 0)
		close(s->lfd);
	unlink(s->path);
	close(s->wake[0]);
	close(s->wake[1]);
	pthread_mutex_destroy(&s->lock);
	free(s->path);
	free(s);
}

const char *qmp_server_path(const struct qmp_server *s)
{
	return s ? s->path : NULL;
}
