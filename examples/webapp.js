// A tiny HTTP worker for examples/circus.ini: it serves on the listening socket circusd
// passes down (`--fd $(circus.sockets.web)`), so several workers share one port.
import http from "node:http";

const i = process.argv.indexOf("--fd");
const fd = i >= 0 ? Number(process.argv[i + 1]) : NaN;
if (!Number.isInteger(fd)) {
  process.stderr.write("usage: node webapp.js --fd <inherited socket fd>\n");
  process.exit(2);
}

const started = new Date().toISOString();
http
  .createServer((req, res) => {
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ pid: process.pid, url: req.url, started }) + "\n");
  })
  .listen({ fd }, () => process.stdout.write(`worker ${process.pid} serving on fd ${fd}\n`));

process.on("SIGTERM", () => process.exit(0));
