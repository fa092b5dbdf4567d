// The benchmark's Socket.IO baseline, the twin of bench/LiveExchange.BareHub: the least a Socket.IO
// server can do for a slide change. A viewer joins a room; the host relays a payload to the room. No
// authentication, no database, no version. Several processes share one Redis through the Redis adapter,
// as the reference setup does. Only the WebSocket transport, and no compression (SignalR has none).
//
//   node relay.js --port 0 --redis 127.0.0.1:6379 --prefix bench-sio-1234
// (or PORT, REDIS, PREFIX in the environment). Prints "Now listening on: http://127.0.0.1:PORT" like
// Kestrel, so the bench starts it the way it starts the hubs.
import { createServer } from "node:http";
import { Server } from "socket.io";
import { createAdapter } from "@socket.io/redis-adapter";
import { createClient } from "redis";

function option(name, fallback) {
  const args = process.argv.slice(2);
  for (let i = 0; i < args.length; i++) {
    if (args[i] === `--${name}` && i + 1 < args.length) return args[i + 1];
    if (args[i].startsWith(`--${name}=`)) return args[i].slice(name.length + 3);
  }
  return process.env[name.toUpperCase()] ?? fallback;
}

const port = Number(option("port", "0"));
const redis = option("redis", "");
const prefix = option("prefix", "socket.io");

const http = createServer((_, response) => response.writeHead(404).end());
const io = new Server(http, {
  transports: ["websocket"],
  perMessageDeflate: false,
  httpCompression: false,
  serveClient: false,
});

if (redis) {
  // The adapter needs two connections: a subscriber cannot publish.
  const pub = createClient({ url: `redis://${redis}` });
  const sub = pub.duplicate();
  pub.on("error", (e) => console.error(`redis: ${e.message}`));
  sub.on("error", (e) => console.error(`redis: ${e.message}`));
  await Promise.all([pub.connect(), sub.connect()]);
  io.adapter(createAdapter(pub, sub, { key: prefix }));
}

io.on("connection", (socket) => {
  socket.on("join", (room, ack) => {
    socket.join(room);
    if (typeof ack === "function") ack();
  });
  socket.on("relay", (room, payload, ack) => {
    io.to(room).emit("PageChanged", payload);
    if (typeof ack === "function") ack();
  });
});

http.listen(port, "127.0.0.1", () => {
  console.log(`Now listening on: http://127.0.0.1:${http.address().port}`);
});

// The bench ends it with SIGKILL, as it does the hubs; a polite stop closes the sockets first.
process.on("SIGTERM", () => io.close(() => process.exit(0)));
