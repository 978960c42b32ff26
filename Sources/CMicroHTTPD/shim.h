// Fixed-signature wrappers over libmicrohttpd 1.0's variadic calls, which Swift cannot import
// (MHD_start_daemon, MHD_get_daemon_info, MHD_get_connection_info). Every function is prefixed sfd_.
#ifndef SFDEST_CMICROHTTPD_SHIM_H
#define SFDEST_CMICROHTTPD_SHIM_H

#include <stdint.h>
#include <stddef.h>
#include <string.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <microhttpd.h>

// libmicrohttpd 1.0 answers every malformed head once; 0.9.75 (Debian 12) writes some answers twice and closes on
// others without one. `make` builds 1.0.1 (contrib/libmicrohttpd/build.sh) and points pkg-config at it.
#if MHD_VERSION < 0x01000000
#error "sfdest needs libmicrohttpd 1.0 or later: run make deps, or build through make (README, "Two commands")"
#endif

/// Leaves escapes in the URL and its arguments as they arrived, so that the server routes on the raw path and
/// decodes each segment after splitting it: decoded first, `%2F` would make a new segment and `%00` would end the
/// C string MHD hands over. MHD has already turned `+` into a space in query arguments when it calls this.
static inline size_t sfd_keep_escapes(void *cls, struct MHD_Connection *connection, char *text) {
    (void)cls;
    (void)connection;
    return strlen(text);
}

/// Sets one connection's inactivity timeout (a request head's deadline, then the idle keep-alive timeout).
static inline void sfd_set_connection_timeout(struct MHD_Connection *connection, unsigned int seconds) {
    MHD_set_connection_option(connection, MHD_CONNECTION_OPTION_TIMEOUT, seconds);
}

/// Writes an address as text into `buffer`. Returns 0 on success.
static inline int sfd_sockaddr_text(const struct sockaddr *address, char *buffer, size_t length) {
    const void *raw = NULL;
    if (address->sa_family == AF_INET) {
        raw = &((const struct sockaddr_in *)address)->sin_addr;
    } else if (address->sa_family == AF_INET6) {
        raw = &((const struct sockaddr_in6 *)address)->sin6_addr;
    } else {
        return -1;
    }
    return inet_ntop(address->sa_family, raw, buffer, (socklen_t)length) == NULL ? -1 : 0;
}

/// Starts an epoll thread-pool daemon bound to `bind_ipv4:port` (port 0 = any free port).
/// Suspend/resume is enabled for response delays; TURBO as upstream's own benchmark uses it.
/// With `https_key_pem` and `https_cert_pem` (PEM text, not paths) it serves HTTPS through GnuTLS.
/// `accept_policy` decides on each new connection (the server's per-address bound, which spares loopback), and
/// `notify_connection` hears each connection start and end (its request-head deadline, the per-address count):
/// libmicrohttpd's own per-address limit counts every local client as one and cannot spare them.
/// Returns NULL when the address cannot be parsed or bound, or the key and certificate are refused.
static inline struct MHD_Daemon *sfd_start_daemon(const char *bind_ipv4, uint16_t port, unsigned int threads,
                                                  unsigned int connection_timeout_seconds,
                                                  unsigned int connection_limit, int client_discipline,
                                                  const char *https_key_pem, const char *https_cert_pem,
                                                  MHD_AccessHandlerCallback handler,
                                                  MHD_RequestCompletedCallback completed,
                                                  MHD_AcceptPolicyCallback accept_policy,
                                                  MHD_NotifyConnectionCallback notify_connection, void *cls) {
    struct sockaddr_in address;
    memset(&address, 0, sizeof(address));
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    if (inet_pton(AF_INET, bind_ipv4, &address.sin_addr) != 1) {
        return NULL;
    }
    unsigned int flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_TURBO;
    if (https_key_pem != NULL && https_cert_pem != NULL) {
        // The variadic list cannot be built conditionally, hence a second call with the TLS options.
        return MHD_start_daemon(flags | MHD_USE_TLS, port, accept_policy, cls, handler, cls,
                                MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&address,
                                MHD_OPTION_THREAD_POOL_SIZE, threads,
                                MHD_OPTION_CONNECTION_TIMEOUT, connection_timeout_seconds,
                                MHD_OPTION_CONNECTION_LIMIT, connection_limit,
                                MHD_OPTION_NOTIFY_CONNECTION, notify_connection, cls,
                                MHD_OPTION_UNESCAPE_CALLBACK, sfd_keep_escapes, NULL,
                                MHD_OPTION_CLIENT_DISCIPLINE_LVL, client_discipline,
                                MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u,
                                MHD_OPTION_NOTIFY_COMPLETED, completed, cls,
                                MHD_OPTION_HTTPS_MEM_KEY, https_key_pem,
                                MHD_OPTION_HTTPS_MEM_CERT, https_cert_pem,
                                MHD_OPTION_END);
    }
    return MHD_start_daemon(flags, port, accept_policy, cls, handler, cls,
                            MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&address,
                            MHD_OPTION_THREAD_POOL_SIZE, threads,
                            MHD_OPTION_CONNECTION_TIMEOUT, connection_timeout_seconds,
                            MHD_OPTION_CONNECTION_LIMIT, connection_limit,
                            MHD_OPTION_NOTIFY_CONNECTION, notify_connection, cls,
                            MHD_OPTION_UNESCAPE_CALLBACK, sfd_keep_escapes, NULL,
                            MHD_OPTION_CLIENT_DISCIPLINE_LVL, client_discipline,
                            MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u,
                            MHD_OPTION_NOTIFY_COMPLETED, completed, cls,
                            MHD_OPTION_END);
}

/// The port the daemon is bound to (useful after binding port 0).
static inline uint16_t sfd_daemon_port(struct MHD_Daemon *daemon) {
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT);
    return info == NULL ? 0 : info->port;
}

/// Writes the connection's peer IP address as text into `buffer`. Returns 0 on success.
static inline int sfd_connection_peer_address(struct MHD_Connection *connection, char *buffer, size_t length) {
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (info == NULL || info->client_addr == NULL) { return -1; }
    const struct sockaddr *address = info->client_addr;
    const void *raw = NULL;
    if (address->sa_family == AF_INET) {
        raw = &((const struct sockaddr_in *)address)->sin_addr;
    } else if (address->sa_family == AF_INET6) {
        raw = &((const struct sockaddr_in6 *)address)->sin6_addr;
    } else {
        return -1;
    }
    return inet_ntop(address->sa_family, raw, buffer, (socklen_t)length) == NULL ? -1 : 0;
}

/// The connection's socket, or -1.
static inline int sfd_connection_fd(struct MHD_Connection *connection) {
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
    return info == NULL ? -1 : info->connect_fd;
}

/// Arms a TCP reset: with SO_LINGER {1, 0}, closing the socket sends RST instead of FIN.
/// The caller then returns MHD_NO so that MHD closes the connection.
static inline void sfd_connection_arm_reset(struct MHD_Connection *connection) {
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (info == NULL) { return; }
    struct linger option = { 1, 0 };
    setsockopt(info->connect_fd, SOL_SOCKET, SO_LINGER, &option, sizeof(option));
}

/// Request headers, in arrival order.
static inline int sfd_connection_headers(struct MHD_Connection *connection, MHD_KeyValueIterator iterator, void *cls) {
    return MHD_get_connection_values(connection, MHD_HEADER_KIND, iterator, cls);
}

/// Query-string arguments in arrival order, `+` already a space but percent escapes kept (`sfd_keep_escapes`).
static inline int sfd_connection_arguments(struct MHD_Connection *connection, MHD_KeyValueIterator iterator, void *cls) {
    return MHD_get_connection_values(connection, MHD_GET_ARGUMENT_KIND, iterator, cls);
}

#endif
