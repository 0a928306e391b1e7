// SPDX-License-Identifier: Apache-2.0
/* api/http_server.c: the API's HTTP/1.x server on a Unix socket. */
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "http_server_priv.h"
#include "vmm/thread.h"

/*
 * Removes a socket left at (path) by a process that is gone; refuses to
 * touch anything else. 0 or -errno.
 */
static int remove_stale(const char *path, const struct sockaddr_un *sa)
{
	struct stat st;
	int fd, err;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	/* Non-blocking: a live server with a full backlog answers EAGAIN
	 * instead of holding us here. */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	err = connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) < 0 ?
		      errno :
		      0;
	close(fd);
	/* Somebody answers: another live server owns it. */
	if (err != ECONNREFUSED)
		return -EADDRINUSE;
	return unlink(path) < 0 ? -errno : 0;
}

static int listen_on(const char *path, unsigned int backlog)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, err;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	err = remove_stale(path, &sa);
	if (err)
		return err;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto err_close;
	/* Before listen(): until then a connect() is refused, so nobody
	 * gets in through the umask's mode. */
	if (chmod(path, 0600) < 0 || listen(fd, (int)backlog) < 0)
		goto err_unlink;
	return fd;

err_unlink:
	err = -errno;
	unlink(path);
	close(fd);
	return err;
err_close:
	err = -errno;
	close(fd);
	return err;
}

static int epoll_add(int epfd, int fd, uint64_t tag)
{
	struct epoll_event e = { .events = EPOLLIN, .data.u64 = tag };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &e) < 0 ? -errno : 0;
}

int http_server_create(const struct http_server_config *cfg,
		       struct http_server **out)
{
	struct http_server *srv;
	int err;

	if (!cfg->path || !cfg->path[0] ||
	    cfg->max_conns > HTTP_SERVER_MAX_CONNS)
		return -EINVAL;
	srv = calloc(1, sizeof(*srv));
	if (!srv)
		return -ENOMEM;
	srv->listen_fd = srv->epoll_fd = srv->kill_fd = -1;
	srv->request_fd = srv->answer_fd = -1;
	srv->max_conns =
		cfg->max_conns ? cfg->max_conns : HTTP_SERVER_DEFAULT_MAX_CONNS;
	srv->lim.max_body =
		cfg->max_body ? cfg->max_body : HTTP_SERVER_DEFAULT_MAX_BODY;
	srv->lim.max_header = cfg->max_header ? cfg->max_header :
						HTTP_SERVER_DEFAULT_MAX_HEADER;
	srv->request_timeout_ms =
		cfg->request_timeout_ms ?
			cfg->request_timeout_ms :
			HTTP_SERVER_DEFAULT_REQUEST_TIMEOUT_MS;
	srv->idle_timeout_ms = cfg->idle_timeout_ms;
	srv->req_tail = &srv->req_head;
	srv->ans_tail = &srv->ans_head;
	pthread_mutex_init(&srv->lock, NULL);
	srv->path = strdup(cfg->path);
	if (!srv->path) {
		err = -ENOMEM;
		goto err_free;
	}
	if ((srv->epoll_fd = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
	    (srv->kill_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0 ||
	    (srv->request_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0 ||
	    (srv->answer_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
		err = -errno;
		goto err_close;
	}
	err = epoll_add(srv->epoll_fd, srv->kill_fd, TAG_KILL);
	if (!err)
		err = epoll_add(srv->epoll_fd, srv->answer_fd, TAG_ANSWERS);
	if (err)
		goto err_close;
	/* Last: the socket is the one thing outside this process. */
	/* A roomy backlog: clients beyond max_conns get the 503 from
	 * accept_clients() rather than a refused connect(). */
	srv->listen_fd = listen_on(srv->path, 128);
	if (srv->listen_fd < 0) {
		err = srv->listen_fd;
		goto err_close;
	}
	err = epoll_add(srv->epoll_fd, srv->listen_fd, TAG_LISTEN);
	if (err)
		goto err_unlink;
	*out = srv;
	return 0;

err_unlink:
	close(srv->listen_fd);
	unlink(srv->path);
err_close:
	if (srv->epoll_fd >= 0)
		close(srv->epoll_fd);
	if (srv->kill_fd >= 0)
		close(srv->kill_fd);
	if (srv->request_fd >= 0)
		close(srv->request_fd);
	if (srv->answer_fd >= 0)
		close(srv->answer_fd);
err_free:
	free(srv->path);
	pthread_mutex_destroy(&srv->lock);
	free(srv);
	return err;
}

int http_server_start(struct http_server *srv)
{
	int err;

	if (srv->started || srv->stopped)
		return -EALREADY;
	err = thread_spawn(&srv->thread, "fc_api", JAIL_API, http_loop_run,
			   srv);
	if (err)
		return err;
	srv->started = true;
	return 0;
}

int http_server_fd(const struct http_server *srv)
{
	return srv->request_fd;
}

int http_server_next(struct http_server *srv, struct http_request **req)
{
	struct http_msg *m;

	pthread_mutex_lock(&srv->lock);
	m = srv->req_head;
	if (m) {
		srv->req_head = m->next;
		if (!srv->req_head)
			srv->req_tail = &srv->req_head;
		m->next = NULL;
	} else {
		/* Empty: clear readiness. A push signals under this lock,
		 * so none can slip in between. */
		http_eventfd_clear(srv->request_fd);
	}
	pthread_mutex_unlock(&srv->lock);
	if (!m)
		return -EAGAIN;
	*req = &m->req;
	return 0;
}

void http_server_respond(struct http_server *srv, struct http_request *req,
			 int status, const char *body)
{
	struct http_msg *m = (struct http_msg *)req;

	m->status = status;
	if (body) {
		m->resp_len = strlen(body);
		m->resp_body = malloc(m->resp_len + 1);
		if (m->resp_body) {
			memcpy(m->resp_body, body, m->resp_len + 1);
		} else {
			m->status = 500;
			m->resp_len = 0;
		}
	}
	pthread_mutex_lock(&srv->lock);
	if (srv->stopped) {
		pthread_mutex_unlock(&srv->lock);
		http_msg_free(m);
		return;
	}
	*srv->ans_tail = m;
	srv->ans_tail = &m->next;
	http_eventfd_signal(srv->answer_fd);
	pthread_mutex_unlock(&srv->lock);
}

static void msg_list_free(struct http_msg *m)
{
	while (m) {
		struct http_msg *next = m->next;

		http_msg_free(m);
		m = next;
	}
}

void http_server_stop(struct http_server *srv)
{
	struct http_msg *ans;

	if (!srv)
		return;
	if (srv->started) {
		http_eventfd_signal(srv->kill_fd);
		pthread_join(srv->thread, NULL);
		srv->started = false;
	}
	/* Later clients find no socket instead of a backlog nobody takes. */
	if (srv->listen_fd >= 0) {
		close(srv->listen_fd);
		srv->listen_fd = -1;
		unlink(srv->path);
	}
	pthread_mutex_lock(&srv->lock);
	srv->stopped = true;
	ans = srv->ans_head;
	srv->ans_head = NULL;
	srv->ans_tail = &srv->ans_head;
	pthread_mutex_unlock(&srv->lock);
	msg_list_free(ans);
}

void http_server_destroy(struct http_server *srv)
{
	if (!srv)
		return;
	http_server_stop(srv);
	close(srv->epoll_fd);
	close(srv->kill_fd);
	close(srv->request_fd);
	close(srv->answer_fd);
	msg_list_free(srv->req_head);
	pthread_mutex_destroy(&srv->lock);
	free(srv->path);
	free(srv);
}
