// The fakes' front door: a thread that accepts connections, waits for each one's request method and answers a
// request line that does not start with one (one well-formed 400) before handing every other connection to
// libmicrohttpd with MHD_add_connection. Every function is prefixed sfd_.
//
// libmicrohttpd 1.0 closes such a connection without an answer, taking the peer for one that does not speak HTTP
// (garbage, or a TLS handshake on the plain port). There is no callback early enough to change that, so the start
// of the head is read here, with MSG_PEEK, from the socket that libmicrohttpd then reads for real. Everything after
// the method is libmicrohttpd's to judge: 1.0 answers each malformed head once.
#ifndef SFDEST_CHTTPACCEPTOR_H
#define SFDEST_CHTTPACCEPTOR_H

#include <stddef.h>
#include <stdint.h>

struct MHD_Daemon;

/// What the first bytes of a connection say about its request head.
enum sfd_head_verdict {
    /// The head is not complete yet and nothing in it is wrong so far.
    SFD_HEAD_INCOMPLETE = 0,
    /// The request starts with a method: hand the connection over.
    SFD_HEAD_PASS = 1,
    /// Answer `*status` with `*reason` and close.
    SFD_HEAD_REFUSE = 2,
};

/// Checks the start of a request head (`length` bytes, which may stop anywhere). `no_more` says that these bytes
/// are all there will be to decide on (the peek buffer is full). On SFD_HEAD_REFUSE, `*status` and `*reason` (a
/// static string, one line, no newline) say why. Pure: no I/O, no allocation.
enum sfd_head_verdict sfd_head_check(const char *bytes, size_t length, int no_more, int *status, const char **reason);

/// The most bytes of a head the acceptor looks at: libmicrohttpd's whole per-connection memory (32 KiB by
/// default) holds the head, so a longer one gets libmicrohttpd's own single 431 and need not be read here (a
/// method is decided long before).
#define SFD_HEAD_PEEK_LIMIT 32768

/// A listening TCP socket on `bind_ipv4:port` (0 = any free port), non-blocking, with SO_REUSEADDR so that a
/// fixed port can be bound again at once after a stop. Returns the descriptor and writes the bound port, or -1.
int sfd_listen_ipv4(const char *bind_ipv4, uint16_t port, int backlog, uint16_t *bound_port);

typedef struct sfd_acceptor sfd_acceptor;

/// Starts the accepting thread on `listen_fd` (which it then owns) for `daemon`, a daemon started with
/// MHD_USE_NO_LISTEN_SOCKET. Connections still waiting for their head are bounded like libmicrohttpd's own:
/// with the daemon's, at most `connection_limit` in all (beyond it the kernel queues new ones), at most
/// `per_client_limit` from one address (0: no bound; beyond it a new one is closed at once), and each closed
/// when its head has not arrived within `timeout_seconds` (0: never). Returns NULL when the thread cannot start.
sfd_acceptor *sfd_acceptor_start(int listen_fd, struct MHD_Daemon *daemon, unsigned int connection_limit,
                                 unsigned int per_client_limit, unsigned int timeout_seconds);

/// Stops accepting, closes the connections still waiting and the listening socket, joins the thread and frees
/// the acceptor. Call it before MHD_stop_daemon: after it, nothing is handed to the daemon.
void sfd_acceptor_stop(sfd_acceptor *acceptor);

#endif
