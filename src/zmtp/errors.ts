// Typed failures of the ZMTP layer; each names what went wrong and what the user can do about it.

/** Base class so callers can catch every ZMTP failure with one `instanceof`. */
export class ZmtpError extends Error {
  override name = "ZmtpError";
}

/** The peer broke the wire protocol (bad greeting, bad frame, bad handshake); that peer is dropped. */
export class ZmtpProtocolError extends ZmtpError {
  override name = "ZmtpProtocolError";
}

/** A message exceeded `maxMessageSize`; the sending peer is dropped. */
export class MessageTooLargeError extends ZmtpProtocolError {
  override name = "MessageTooLargeError";
  constructor(
    readonly size: number | bigint,
    readonly limit: number,
  ) {
    super(`message of ${size} bytes exceeds maxMessageSize ${limit}; raise the limit or fix the sender`);
  }
}

/** An endpoint string could not be parsed or used (bind/connect). */
export class EndpointError extends ZmtpError {
  override name = "EndpointError";
  constructor(
    readonly endpoint: string,
    reason: string,
    options?: ErrorOptions,
  ) {
    super(`invalid endpoint "${endpoint}": ${reason}`, options);
  }
}

/** An operation on a socket that has been closed. */
export class SocketClosedError extends ZmtpError {
  override name = "SocketClosedError";
  constructor(what = "socket") {
    super(`${what} is closed`);
  }
}

/** A request got no reply in time. */
export class ZmtpTimeoutError extends ZmtpError {
  override name = "ZmtpTimeoutError";
  constructor(readonly timeoutMs: number) {
    super(`no reply within ${timeoutMs} ms; is the server running and reachable?`);
  }
}

/** An operation not allowed in the socket's current state (e.g. REQ sending twice without a reply). */
export class SocketStateError extends ZmtpError {
  override name = "SocketStateError";
}

/**
 * A CURVE handshake was refused for its keys: the server did not authorize the client's key (the
 * server sent ERROR with a ZAP status code), or our authorizer refused a client.
 */
export class ZmtpAuthError extends ZmtpError {
  override name = "ZmtpAuthError";
}

/** `send` found the queue its message would go to at the high-water mark (`hwm`); nothing was sent. */
export class QueueFullError extends ZmtpError {
  override name = "QueueFullError";
  constructor(readonly hwm: number) {
    super(`send queue full (${hwm} messages waiting): the peer is not reading; retry later or raise hwm`);
  }
}

/** `send` addressed a peer that is not connected (ROUTER: unknown routing id; REP: requester gone). */
export class PeerUnreachableError extends ZmtpError {
  override name = "PeerUnreachableError";
}

/** A CURVE key or key file could not be read or used. */
export class CurveKeyError extends ZmtpError {
  override name = "CurveKeyError";
}
