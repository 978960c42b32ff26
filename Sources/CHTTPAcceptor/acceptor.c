#define _GNU_SOURCE
#include "acceptor.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

// MARK: - The head check

/// RFC 9110 §5.6.2: tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" /
/// "~" / DIGIT / ALPHA.
static int is_tchar(unsigned char c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) { return 1; }
    switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+': case '-': case '.': case '^':
    case '_': case '`': case '|': case '~':
        return 1;
    default:
        return 0;
    }
}

static enum sfd_head_verdict refuse(int *status, const char **reason, const char *why) {
    *status = 400;
    *reason = why;
    return SFD_HEAD_REFUSE;
}

enum sfd_head_verdict sfd_head_check(const char *bytes, size_t length, int no_more, int *status, const char **reason) {
    const unsigned char *b = (const unsigned char *)bytes;
    const enum sfd_head_verdict unfinished = no_more ? SFD_HEAD_PASS : SFD_HEAD_INCOMPLETE;
    size_t i = 0;
    // RFC 9112 §2.2: a server SHOULD ignore at least one empty line before the request line. libmicrohttpd 1.0
    // at discipline level 1 (strict) ignores one CRLF and closes on more, or on a bare LF; at level 0 it ignores
    // several, CRLF or bare LF. Both are its to decide: the loop only finds the method.
    while (i < length) {
        if (b[i] == '\n') { i++; continue; }
        if (b[i] == '\r' && i + 1 < length && b[i + 1] == '\n') { i += 2; continue; }
        if (b[i] == '\r' && i + 1 == length) { return unfinished; }
        break;
    }
    if (i == length) { return unfinished; }

    // The method is a token followed by one space (RFC 9112 §3). libmicrohttpd 1.0 closes without an answer when
    // the line does not start with a method it knows (GET to DELETE) and is malformed, taking the peer for one that
    // does not speak HTTP (connection.c, get_request_line_inner: "A quick simple check whether this line looks like
    // an HTTP request"). A TLS handshake sent to a plain port, or any other garbage, gets a 400 here instead.
    static const char *const bad_request_line =
        "the request line is not METHOD SP request-target SP HTTP-version (RFC 9112 section 3)";
    size_t method_start = i;
    while (i < length && is_tchar(b[i])) { i++; }
    if (i == length) { return no_more ? refuse(status, reason, bad_request_line) : SFD_HEAD_INCOMPLETE; }
    if (i == method_start || b[i] != ' ') { return refuse(status, reason, bad_request_line); }
    // The rest of the head is libmicrohttpd's to judge: 1.0 answers a bad target, version, header line or
    // Content-Length once, on this request and on every later one (README, "The HTTP layer").
    return SFD_HEAD_PASS;
}

// MARK: - Listening

int sfd_listen_ipv4(const char *bind_ipv4, uint16_t port, int backlog, uint16_t *bound_port) {
    struct sockaddr_in address;
    memset(&address, 0, sizeof(address));
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    if (inet_pton(AF_INET, bind_ipv4, &address.sin_addr) != 1) { return -1; }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) { return -1; }
    int on = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
    socklen_t length = sizeof(address);
    if (bind(fd, (struct sockaddr *)&address, sizeof(address)) != 0 || listen(fd, backlog) != 0 ||
        getsockname(fd, (struct sockaddr *)&address, &length) != 0) {
        close(fd);
        return -1;
    }
    *bound_port = ntohs(address.sin_port);
    return fd;
}

// MARK: - The accepting thread

enum slot_state {
    SLOT_FREE = 0,
    /// Accepted; its head is being peeked at.
    SLOT_WAITING,
    /// Refused and answered: its input is drained until the client closes or the grace time ends, so that closing
    /// with unread input does not reset the connection before the client has read the answer.
    SLOT_DRAINING,
};

struct slot {
    enum slot_state state;
    /// Whether the descriptor is in the epoll set (only once a first look found its head incomplete).
    int registered;
    /// Its place in `held`.
    unsigned int position;
    struct sockaddr_storage address;
    socklen_t address_length;
    int64_t deadline_ms;
};

struct sfd_acceptor {
    int listen_fd;
    int epoll_fd;
    int wake_fd;
    struct MHD_Daemon *daemon;
    unsigned int connection_limit;
    unsigned int per_client_limit;
    int64_t timeout_ms;
    pthread_t thread;
    /// Connections not yet handed over, indexed by descriptor...
    struct slot *slots;
    size_t capacity;
    /// ...and listed densely (`waiting` of them), for the per-address count and the sweep.
    int *held;
    unsigned int waiting;
    int listening;
    char buffer[SFD_HEAD_PEEK_LIMIT];
};

/// How long a refused connection's input is drained before it is closed regardless.
static const int64_t drain_grace_ms = 2000;
/// How often expired slots are looked for, and a paused listener is tried again.
static const int sweep_interval_ms = 250;

static int64_t now_ms(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/// Makes room for descriptor `fd` (slots) and one more held connection. False when memory is short.
static int ensure_capacity(sfd_acceptor *acceptor, int fd) {
    if ((size_t)fd < acceptor->capacity) { return 1; }
    size_t capacity = acceptor->capacity == 0 ? 1024 : acceptor->capacity;
    while (capacity <= (size_t)fd) { capacity *= 2; }
    struct slot *slots = realloc(acceptor->slots, capacity * sizeof(struct slot));
    if (slots == NULL) { return 0; }
    memset(slots + acceptor->capacity, 0, (capacity - acceptor->capacity) * sizeof(struct slot));
    acceptor->slots = slots;
    // At most one held entry per descriptor, so `held` needs no more room than the slots.
    int *held = realloc(acceptor->held, capacity * sizeof(int));
    if (held == NULL) { return 0; }
    acceptor->held = held;
    acceptor->capacity = capacity;
    return 1;
}

static void hold(sfd_acceptor *acceptor, int fd, const struct sockaddr_storage *address, socklen_t length) {
    struct slot *slot = &acceptor->slots[fd];
    slot->state = SLOT_WAITING;
    slot->registered = 0;
    slot->position = acceptor->waiting;
    slot->address = *address;
    slot->address_length = length;
    slot->deadline_ms = acceptor->timeout_ms > 0 ? now_ms() + acceptor->timeout_ms : INT64_MAX;
    acceptor->held[acceptor->waiting++] = fd;
}

static void release(sfd_acceptor *acceptor, int fd) {
    struct slot *slot = &acceptor->slots[fd];
    if (slot->registered) { epoll_ctl(acceptor->epoll_fd, EPOLL_CTL_DEL, fd, NULL); }
    int last = acceptor->held[--acceptor->waiting];
    acceptor->held[slot->position] = last;
    acceptor->slots[last].position = slot->position;
    slot->state = SLOT_FREE;
    slot->registered = 0;
}

static void close_slot(sfd_acceptor *acceptor, int fd) {
    release(acceptor, fd);
    close(fd);
}

/// Puts a held connection in the epoll set, to hear of its next bytes. Edge-triggered: peeking does not consume,
/// so a level-triggered descriptor would stay ready and spin while a head is incomplete; each new segment raises
/// one event, and one that arrived before this call raises one at once.
static int watch(sfd_acceptor *acceptor, int fd) {
    struct slot *slot = &acceptor->slots[fd];
    if (slot->registered) { return 1; }
    struct epoll_event event = {.events = EPOLLIN | EPOLLRDHUP | EPOLLET, .data.fd = fd};
    if (epoll_ctl(acceptor->epoll_fd, EPOLL_CTL_ADD, fd, &event) != 0) { return 0; }
    slot->registered = 1;
    return 1;
}

static int same_address(const struct sockaddr_storage *a, const struct sockaddr_storage *b) {
    if (a->ss_family != b->ss_family) { return 0; }
    if (a->ss_family == AF_INET) {
        return ((const struct sockaddr_in *)a)->sin_addr.s_addr == ((const struct sockaddr_in *)b)->sin_addr.s_addr;
    }
    if (a->ss_family == AF_INET6) {
        return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr, &((const struct sockaddr_in6 *)b)->sin6_addr,
                      sizeof(struct in6_addr)) == 0;
    }
    return 0;
}

/// Connections from this address that are still held here. A scan of the held ones: nearly always none or a few
/// (a connection is held until its first head arrives), at most the connection limit.
static unsigned int waiting_from(const sfd_acceptor *acceptor, const struct sockaddr_storage *address) {
    unsigned int count = 0;
    for (unsigned int i = 0; i < acceptor->waiting; i++) {
        if (same_address(&acceptor->slots[acceptor->held[i]].address, address)) { count++; }
    }
    return count;
}

static unsigned int daemon_connections(const sfd_acceptor *acceptor) {
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(acceptor->daemon, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
    return info == NULL ? 0 : info->num_connections;
}

static void set_listening(sfd_acceptor *acceptor, int on) {
    if (acceptor->listening == on) { return; }
    struct epoll_event event = {.events = on ? EPOLLIN : 0, .data.fd = acceptor->listen_fd};
    epoll_ctl(acceptor->epoll_fd, EPOLL_CTL_MOD, acceptor->listen_fd, &event);
    acceptor->listening = on;
}

static void on_readable(sfd_acceptor *acceptor, int fd, uint32_t events);

static void accept_ready(sfd_acceptor *acceptor) {
    for (;;) {
        // At the limit, leave new connections in the kernel's queue, as libmicrohttpd does with its own socket.
        if (acceptor->connection_limit > 0 &&
            acceptor->waiting + daemon_connections(acceptor) >= acceptor->connection_limit) {
            set_listening(acceptor, 0);
            return;
        }
        struct sockaddr_storage address;
        socklen_t length = sizeof(address);
        int fd = accept4(acceptor->listen_fd, (struct sockaddr *)&address, &length, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) { continue; }
            // EMFILE and the like: the socket stays readable, so pause until the next sweep rather than spin.
            if (errno != EAGAIN && errno != EWOULDBLOCK) { set_listening(acceptor, 0); }
            return;
        }
        if ((acceptor->per_client_limit > 0 && waiting_from(acceptor, &address) >= acceptor->per_client_limit) ||
            !ensure_capacity(acceptor, fd)) {
            close(fd);
            continue;
        }
        hold(acceptor, fd, &address, length);
        // The request usually arrives with the connection: look at once, and watch the descriptor only if not.
        on_readable(acceptor, fd, 0);
    }
}

/// Writes a refusal in the shape libmicrohttpd's own answers have (Date, Connection: close, Content-Length).
static void send_refusal(int fd, int status, const char *reason) {
    char date[64];
    time_t now = time(NULL);
    struct tm utc;
    gmtime_r(&now, &utc);
    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &utc);
    char response[512];
    int length = snprintf(response, sizeof(response),
                          "HTTP/1.1 %d %s\r\nDate: %s\r\nConnection: close\r\n"
                          "Content-Type: text/plain; charset=utf-8\r\nContent-Length: %zu\r\n\r\n%s\n",
                          status, status == 400 ? "Bad Request" : "Error", date, strlen(reason) + 1, reason);
    if (length <= 0 || (size_t)length >= sizeof(response)) { return; }
    // A fresh connection's send buffer takes a few hundred bytes at once; a client that cannot is not waited for.
    (void)send(fd, response, (size_t)length, MSG_NOSIGNAL | MSG_DONTWAIT);
}

static void drain(sfd_acceptor *acceptor, int fd) {
    for (;;) {
        ssize_t count = recv(fd, acceptor->buffer, sizeof(acceptor->buffer), MSG_DONTWAIT);
        if (count > 0) { continue; }
        if (count < 0 && errno == EINTR) { continue; }
        if (count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (!watch(acceptor, fd)) { close_slot(acceptor, fd); }
            return;
        }
        close_slot(acceptor, fd); // the client closed (or the connection broke): done
        return;
    }
}

static void on_readable(sfd_acceptor *acceptor, int fd, uint32_t events) {
    struct slot *slot = &acceptor->slots[fd];
    if (slot->state == SLOT_DRAINING) {
        drain(acceptor, fd);
        return;
    }
    ssize_t count = recv(fd, acceptor->buffer, sizeof(acceptor->buffer), MSG_PEEK | MSG_DONTWAIT);
    if (count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
        if (!watch(acceptor, fd)) { close_slot(acceptor, fd); }
        return;
    }
    if (count <= 0) {
        close_slot(acceptor, fd); // closed or broken before a request: nothing to answer
        return;
    }
    int status = 0;
    const char *reason = NULL;
    enum sfd_head_verdict verdict = sfd_head_check(acceptor->buffer, (size_t)count,
                                                   count == (ssize_t)sizeof(acceptor->buffer), &status, &reason);
    switch (verdict) {
    case SFD_HEAD_INCOMPLETE:
        // The client has stopped sending (shut down its side) before the head was complete: nothing will follow.
        if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
            close_slot(acceptor, fd);
        } else if (!watch(acceptor, fd)) {
            close_slot(acceptor, fd);
        }
        return;
    case SFD_HEAD_PASS: {
        struct sockaddr_storage address = slot->address;
        socklen_t length = slot->address_length;
        release(acceptor, fd);
        // libmicrohttpd owns the socket from here, and closes it itself when it cannot take it (per-client bound).
        (void)MHD_add_connection(acceptor->daemon, fd, (const struct sockaddr *)&address, length);
        return;
    }
    case SFD_HEAD_REFUSE:
        send_refusal(fd, status, reason);
        shutdown(fd, SHUT_WR);
        slot->state = SLOT_DRAINING;
        int64_t grace = now_ms() + drain_grace_ms;
        if (grace < slot->deadline_ms) { slot->deadline_ms = grace; }
        drain(acceptor, fd);
        return;
    }
}

static void sweep(sfd_acceptor *acceptor) {
    int64_t now = now_ms();
    // Backwards: closing one moves the last held into its place.
    for (unsigned int i = acceptor->waiting; i > 0; i--) {
        int fd = acceptor->held[i - 1];
        // Past the timeout: closed without an answer, as libmicrohttpd closes an idle connection. What was sent is
        // read first, so that the close is a FIN, not the reset that unread input would make.
        if (acceptor->slots[fd].deadline_ms <= now) {
            while (recv(fd, acceptor->buffer, sizeof(acceptor->buffer), MSG_DONTWAIT) > 0) {}
            close_slot(acceptor, fd);
        }
    }
    if (!acceptor->listening) {
        set_listening(acceptor, 1);
        accept_ready(acceptor);
    }
}

static void *run(void *context) {
    sfd_acceptor *acceptor = context;
    struct epoll_event events[64];
    int64_t next_sweep = now_ms() + sweep_interval_ms;
    for (;;) {
        int timeout = (acceptor->waiting > 0 || !acceptor->listening) ? sweep_interval_ms : -1;
        int count = epoll_wait(acceptor->epoll_fd, events, 64, timeout);
        if (count < 0 && errno != EINTR) { break; }
        for (int i = 0; i < count; i++) {
            int fd = events[i].data.fd;
            if (fd == acceptor->wake_fd) { return NULL; }
            if (fd == acceptor->listen_fd) {
                accept_ready(acceptor);
            } else if ((size_t)fd < acceptor->capacity && acceptor->slots[fd].state != SLOT_FREE) {
                on_readable(acceptor, fd, events[i].events);
            }
        }
        int64_t now = now_ms();
        if (now >= next_sweep) {
            sweep(acceptor);
            next_sweep = now + sweep_interval_ms;
        }
    }
    return NULL;
}

sfd_acceptor *sfd_acceptor_start(int listen_fd, struct MHD_Daemon *daemon, unsigned int connection_limit,
                                 unsigned int per_client_limit, unsigned int timeout_seconds) {
    sfd_acceptor *acceptor = calloc(1, sizeof(*acceptor));
    if (acceptor == NULL) { return NULL; }
    acceptor->listen_fd = listen_fd;
    acceptor->daemon = daemon;
    acceptor->connection_limit = connection_limit;
    acceptor->per_client_limit = per_client_limit;
    acceptor->timeout_ms = (int64_t)timeout_seconds * 1000;
    acceptor->listening = 1;
    acceptor->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    acceptor->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    struct epoll_event listen_event = {.events = EPOLLIN, .data.fd = listen_fd};
    struct epoll_event wake_event = {.events = EPOLLIN, .data.fd = acceptor->wake_fd};
    if (acceptor->epoll_fd < 0 || acceptor->wake_fd < 0 ||
        epoll_ctl(acceptor->epoll_fd, EPOLL_CTL_ADD, listen_fd, &listen_event) != 0 ||
        epoll_ctl(acceptor->epoll_fd, EPOLL_CTL_ADD, acceptor->wake_fd, &wake_event) != 0 ||
        pthread_create(&acceptor->thread, NULL, run, acceptor) != 0) {
        if (acceptor->epoll_fd >= 0) { close(acceptor->epoll_fd); }
        if (acceptor->wake_fd >= 0) { close(acceptor->wake_fd); }
        free(acceptor);
        return NULL;
    }
    return acceptor;
}

void sfd_acceptor_stop(sfd_acceptor *acceptor) {
    uint64_t one = 1;
    (void)write(acceptor->wake_fd, &one, sizeof(one));
    pthread_join(acceptor->thread, NULL);
    for (unsigned int i = 0; i < acceptor->waiting; i++) { close(acceptor->held[i]); }
    close(acceptor->listen_fd);
    close(acceptor->epoll_fd);
    close(acceptor->wake_fd);
    free(acceptor->slots);
    free(acceptor->held);
    free(acceptor);
}
