// ZeroMQ ZMTP 3.1 over Bun's native sockets, interoperable with libzmq: NULL and CURVE security.
//
// Usage:
//   const router = new RouterSocket();
//   const ep = await router.bind("tcp://127.0.0.1:0");     // resolved: "tcp://127.0.0.1:41234"
//   router.onMessage(([id, body]) => router.send([id, body]));
//   const dealer = new DealerSocket({ identity: "client-1" });
//   dealer.connect(ep);                                      // returns at once; queues until connected
//   await dealer.send(["hello"]);                            // resolves once queued; strings go as UTF-8
//   const [reply] = await dealer.receive();                  // or onMessage(cb), or `for await`
//   await dealer.close(); await router.close();
//
// Every socket: bind(ep) → Promise<resolved ep>, connect(ep), close({ lingerMs }), peerCount, endpoint,
// on(event, listener) / once(event) for monitor events (listening, accepted, rejected, connected,
// handshake_succeeded, handshake_failed, disconnected, closed).
// Sending (one contract, see Sender): RouterSocket.send([id, ...]), DealerSocket.send(frames),
// PubSocket.send([topic, ...]), ReqSocket.send / request(frames, timeoutMs), RepSocket.send(reply).
// Receiving (ReceivingSocket: every type but PUB): onMessage(cb), receive(timeoutMs?), for await.
// SubSocket.subscribe/unsubscribe(prefix). Endpoints: tcp://host:port (IPv4, [IPv6], *, hostname;
// port 0 or * = ephemeral), ipc://path, ipc://@abstract; `bind(ep, { ipcMode })` creates an ipc file
// with that mode. Options: SocketOptions (hwm, maxMessageSize, handshakeTimeout, reconnectInterval,
// curve, maxConnections, admit). Peers: peers(), disconnect(filter), RouterSocket.peerOf(id).
// CURVE: `curve: { role: "server", keyPair, authorize? }` or `{ role: "client", serverKey, keyPair? }`;
// keys from `await generateKeyPair()`, certificate files (readCurvePublicKey / readCurveKeyPair /
// writeCertificatePair) or Z85 text (keyFromZ85). The crypto code loads when CURVE is first used.

export {
  type Certificate,
  formatCertificate,
  keyFromZ85,
  parseCertificate,
  readCertificate,
  readCurveKeyPair,
  readCurvePublicKey,
  writeCertificatePair,
} from "./certificate.ts";
export type { CurveAuthorizer, CurvePeer } from "./curve.ts";
export { DealerSocket } from "./dealer.ts";
export { formatEndpoint, parseEndpoint, type Endpoint, type IpcEndpoint, type TcpEndpoint } from "./endpoint.ts";
export {
  CurveKeyError,
  EndpointError,
  MessageTooLargeError,
  PeerUnreachableError,
  QueueFullError,
  SocketClosedError,
  SocketStateError,
  ZmtpAuthError,
  ZmtpError,
  ZmtpProtocolError,
  ZmtpTimeoutError,
} from "./errors.ts";
export type { SocketType } from "./handshake.ts";
export type {
  HandshakeFailedEvent,
  PeerEvent,
  PeerInfo,
  RejectedEvent,
  SocketEventListener,
  SocketEventMap,
  SocketEventName,
} from "./monitor.ts";
export { type CurveKeyPair, generateKeyPair, publicKeyOf } from "./keys.ts";
export { type PubOptions, PubSocket } from "./pub.ts";
export { RepSocket } from "./rep.ts";
export { ReqSocket } from "./req.ts";
export { RouterSocket } from "./router.ts";
export {
  type BindOptions,
  type CurveClientOptions,
  type CurveOptions,
  type CurveServerOptions,
  type Frame,
  type MessageHandler,
  ReceivingSocket,
  type Sender,
  type SocketOptions,
  ZmtpSocket,
} from "./socket.ts";
export { SubSocket } from "./sub.ts";
export { z85Decode, z85Encode } from "./z85.ts";
