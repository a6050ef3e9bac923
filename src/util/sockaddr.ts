// The size of a unix socket address, one fact for ZMTP's ipc:// endpoints (src/zmtp) and for
// [socket:…] paths and syslog's /dev/log (src/os).

/** Bytes in `sun_path` of Linux's `struct sockaddr_un`, a filesystem path's terminating NUL included. */
export const SUN_PATH_SIZE = 108;
