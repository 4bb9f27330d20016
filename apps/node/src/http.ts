import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { NodeLogger } from "./logger.js";

/** A GET route: returns the status, content type and body. */
export type Route = () => Promise<{ status?: number; type: string; body: string }>;

/** The node's small HTTP front: `/` (sizes), `/metrics`, and whatever else the node mounts. */
export class HttpFront {
  readonly #server: Server;
  readonly #routes = new Map<string, Route>();
  readonly #logger: NodeLogger;

  constructor(logger: NodeLogger) {
    this.#logger = logger;
    this.#server = createServer((req, res) => void this.#handle(req, res));
  }

  route(path: string, fn: Route): this {
    this.#routes.set(path, fn);
    return this;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? "/").split("?")[0]!;
    const route = this.#routes.get(path);
    try {
      if (!route) return send(res, 404, "text/plain", "not found\n");
      if (req.method !== "GET" && req.method !== "HEAD") {
        res.setHeader("Allow", "GET, HEAD");
        return send(res, 405, "text/plain", "method not allowed\n");
      }
      const out = await route();
      send(res, out.status ?? 200, out.type, req.method === "HEAD" ? "" : out.body);
    } catch (err) {
      this.#logger.error({ err, path }, "http request failed");
      send(res, 500, "text/plain", "internal error\n");
    }
  }

  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#server.once("error", reject);
      this.#server.listen(port, host, () => {
        this.#server.off("error", reject);
        resolve((this.#server.address() as AddressInfo).port);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { "Content-Type": type, "Content-Length": Buffer.byteLength(body) });
  res.end(body);
}
