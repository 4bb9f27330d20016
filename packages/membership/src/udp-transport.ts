import dgram from "node:dgram";
import net from "node:net";
import os from "node:os";
import { type Clock, systemClock } from "./clock.js";
import { MembershipError } from "./errors.js";
import { formatHostPort, parseHostPort } from "./internal/address.js";
import { silentLogger } from "./internal/config.js";
import { FrameReader, frame } from "./internal/frames.js";
import { noReplyError, type RequestCallback, type Transport, type TransportHandler } from "./transport.js";
import type { Logger } from "./types.js";

/** Default limit of one TCP frame (a push-pull of the whole cluster state). */
export const DEFAULT_MAX_FRAME_BYTES = 4 * 1024 * 1024;
/** An accepted TCP connection that has not sent its whole frame after this long is closed. */
export const DEFAULT_STREAM_IDLE_MS = 10_000;

export interface UdpTransportOptions {
  /** Interface to bind. Default `"0.0.0.0"` (`"::"` binds IPv6 and, on most systems, IPv4). */
  bindHost?: string;
  /** UDP and TCP port; 0 picks a port that is free for both. Default 7946. */
  bindPort?: number;
  /** Largest TCP frame accepted or sent. Default 4 MiB. */
  maxFrameBytes?: number;
  /** Idle limit of an accepted TCP connection. Default 10 000 ms. */
  streamIdleMs?: number;
  /** Timer source for request and idle timeouts. Default {@link systemClock}. */
  clock?: Clock;
  logger?: Logger;
}

const WILDCARDS = new Set(["0.0.0.0", "::", "[::]", ""]);
const BIND_ATTEMPTS_PORT_ZERO = 16;

/** The first non-internal IPv4 address of this host, or 127.0.0.1. */
function defaultAdvertiseHost(): string {
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) if (a.family === "IPv4" && !a.internal) return a.address;
  }
  return "127.0.0.1";
}

function listen(server: net.Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once("error", onError);
    server.listen({ port, host, exclusive: true }, () => {
      server.off("error", onError);
      const addr = server.address();
      resolve(typeof addr === "object" && addr !== null ? addr.port : port);
    });
  });
}

function bindUdp(socket: dgram.Socket, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    socket.once("error", onError);
    socket.bind({ port, address: host, exclusive: true }, () => {
      socket.off("error", onError);
      resolve();
    });
  });
}

/**
 * The real transport: UDP (node:dgram) for probes and gossip, TCP (node:net) on the same
 * port number for push-pull and fallback probes. TCP carries one length-prefixed frame
 * (u32 big-endian) each way per connection. Binding port 0 binds TCP first on a free port,
 * then UDP on the same number, and retries with a new port if UDP's is taken.
 */
export function createUdpTransport(opts: UdpTransportOptions = {}): Transport {
  const bindHost = opts.bindHost ?? "0.0.0.0";
  const bindPort = opts.bindPort ?? 7946;
  const maxFrameBytes = opts.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  const idleMs = opts.streamIdleMs ?? DEFAULT_STREAM_IDLE_MS;
  const clock = opts.clock ?? systemClock;
  const log = opts.logger ?? silentLogger;
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  let udp: dgram.Socket | undefined;
  let handler: TransportHandler | undefined;
  let closed = false;

  const serve = (socket: net.Socket): void => {
    if (closed || handler === undefined) {
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.setNoDelay(true);
    const from = formatHostPort(socket.remoteAddress ?? "0.0.0.0", socket.remotePort ?? 1);
    const idle = clock.setTimeout(() => socket.destroy(), idleMs);
    const reader = new FrameReader(maxFrameBytes);
    socket.on("data", (chunk: Buffer) => {
      const result = reader.push(chunk);
      if (result === "oversized") {
        handler?.onDrop("oversized", reader.declaredLength);
        socket.destroy();
      } else if (result !== undefined) {
        socket.pause();
        idle.cancel();
        const reply = handler?.onRequest(result, from);
        if (reply !== undefined && reply.length <= maxFrameBytes) socket.end(frame(reply));
        else socket.end();
      }
    });
    socket.on("error", () => socket.destroy());
    socket.on("close", () => {
      idle.cancel();
      sockets.delete(socket);
    });
  };

  return {
    async start(h: TransportHandler): Promise<string> {
      if (handler !== undefined) throw new MembershipError("ALREADY_STARTED", "transport already started");
      handler = h;
      const attempts = bindPort === 0 ? BIND_ATTEMPTS_PORT_ZERO : 1;
      let lastError: unknown;
      for (let i = 0; i < attempts && !closed; i++) {
        const srv = net.createServer(serve);
        let port: number;
        try {
          port = await listen(srv, bindPort, bindHost);
        } catch (err) {
          lastError = err;
          srv.close();
          continue;
        }
        const sock = dgram.createSocket({
          type: net.isIPv6(bindHost) || bindHost === "::" ? "udp6" : "udp4",
        });
        try {
          await bindUdp(sock, port, bindHost);
        } catch (err) {
          lastError = err;
          sock.close();
          srv.close();
          continue;
        }
        server = srv;
        udp = sock;
        server.on("error", (err) => log.warn({ err }, "tcp server error"));
        sock.on("error", (err) => log.warn({ err }, "udp socket error"));
        sock.on("message", (msg, rinfo) => {
          if (!closed) handler?.onPacket(msg, formatHostPort(rinfo.address, rinfo.port));
        });
        const host = WILDCARDS.has(bindHost) ? defaultAdvertiseHost() : bindHost;
        return formatHostPort(host, port);
      }
      throw new MembershipError(
        "BIND_FAILED",
        `could not bind UDP and TCP on ${formatHostPort(bindHost, bindPort)}`,
        {
          cause: lastError,
        },
      );
    },

    sendPacket(to: string, data: Uint8Array): boolean {
      const hp = parseHostPort(to);
      if (closed || udp === undefined || hp === undefined) return false;
      try {
        udp.send(data, hp.port, hp.host, (err) => {
          if (err) log.debug({ err: err.message, to }, "udp send failed");
        });
        return true;
      } catch {
        return false;
      }
    },

    request(to: string, data: Uint8Array, timeoutMs: number, callback: RequestCallback): void {
      const hp = parseHostPort(to);
      if (closed || hp === undefined || data.length > maxFrameBytes) {
        callback(new Error(closed ? "transport closed" : "bad request"), undefined);
        return;
      }
      let settled = false;
      const socket = net.connect({ host: hp.host, port: hp.port });
      sockets.add(socket);
      const reader = new FrameReader(maxFrameBytes);
      const finish = (err: Error | undefined, reply: Uint8Array | undefined): void => {
        if (settled) return;
        settled = true;
        timer.cancel();
        socket.destroy();
        callback(err, reply);
      };
      const timer = clock.setTimeout(
        () => finish(new Error(`request to ${to} timed out`), undefined),
        timeoutMs,
      );
      socket.setNoDelay(true);
      socket.on("connect", () => socket.write(frame(data)));
      socket.on("data", (chunk: Buffer) => {
        const result = reader.push(chunk);
        if (result === "oversized") {
          handler?.onDrop("oversized", reader.declaredLength);
          finish(new Error("reply frame too large"), undefined);
        } else if (result !== undefined) {
          finish(undefined, result);
        }
      });
      socket.on("error", (err) => finish(err, undefined));
      socket.on("close", () => {
        sockets.delete(socket);
        finish(noReplyError(to), undefined);
      });
    },

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      for (const s of sockets) s.destroy();
      sockets.clear();
      const tasks: Promise<void>[] = [];
      if (udp !== undefined) {
        const u = udp;
        tasks.push(new Promise((resolve) => u.close(() => resolve())));
      }
      if (server !== undefined) {
        const s = server;
        tasks.push(new Promise((resolve) => s.close(() => resolve())));
      }
      await Promise.all(tasks);
    },
  };
}
