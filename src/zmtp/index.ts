// ZeroMQ ZMTP 3.1 (NULL mechanism) over Bun's native sockets, interoperable with libzmq.
//
// Usage:
//   const router = new RouterSocket();
//   const ep = await router.bind("tcp://127.0.0.1:0");     // resolved: "tcp://127.0.0.1:41234"
//   router.onMessage(([id, body]) => router.send([id, body]));
//   const dealer = new DealerSocket({ identity: "client-1" });
//   dealer.connect(ep);                                      // returns at once; queues until connected
//   dealer.send(["hello"]);                                  // strings are sent as UTF-8
//   const [reply] = await dealer.receive();                  // or onMessage(cb), or `for await`
//   await dealer.close(); await router.close();
//
// Every socket: bind(ep) → Promise<resolved ep>, connect(ep), onMessage(cb), receive(timeoutMs?), for await,
// close(), peerCount, endpoint. Sending: RouterSocket.send([id, ...]), DealerSocket.send(frames),
// PubSocket.send([topic, ...]) → subscribers reached, SubSocket.subscribe/unsubscribe(prefix),
// ReqSocket.request(frames, timeoutMs) / send, RepSocket.send(reply) answers the last request.
// Endpoints: tcp://host:port (IPv4, [IPv6], *, hostname; port 0 or * = ephemeral), ipc://path,
// ipc://@abstract. Limits: SocketOptions (hwm, maxMessageSize, handshakeTimeout, reconnectInterval).

export { DealerSocket } from "./dealer.ts";
export { formatEndpoint, parseEndpoint, type Endpoint, type IpcEndpoint, type TcpEndpoint } from "./endpoint.ts";
export {
  EndpointError,
  MessageTooLargeError,
  SocketClosedError,
  SocketStateError,
  ZmtpError,
  ZmtpProtocolError,
  ZmtpTimeoutError,
} from "./errors.ts";
export type { SocketType } from "./handshake.ts";
export { PubSocket } from "./pub.ts";
export { RepSocket } from "./rep.ts";
export { ReqSocket } from "./req.ts";
export { RouterSocket } from "./router.ts";
export { ZmtpSocket, type Frame, type MessageHandler, type SocketOptions } from "./socket.ts";
export { SubSocket } from "./sub.ts";
