import { type ServerWritableStream, status } from "@grpc/grpc-js";
import {
  HEALTH_SERVICE_NAME,
  type HealthCheckRequest,
  type HealthCheckResponse,
  type HealthServer,
  HealthCheckResponse_ServingStatus as Serving,
  serviceError,
} from "@plz-cache/protocol";

/** The standard gRPC health service: SERVING for "" and `plz-rpc-cache` while the node serves. */
export class HealthState {
  #serving = false;
  readonly #watchers = new Set<ServerWritableStream<HealthCheckRequest, HealthCheckResponse>>();

  set(serving: boolean): void {
    this.#serving = serving;
    for (const w of this.#watchers) w.write({ status: this.#statusFor(w.request.service) });
  }

  /** Ends every Watch stream (at shutdown, so the server can drain). */
  endWatches(): void {
    for (const w of this.#watchers) w.end();
    this.#watchers.clear();
  }

  #statusFor(service: string): Serving {
    if (service !== "" && service !== HEALTH_SERVICE_NAME) return Serving.SERVICE_UNKNOWN;
    return this.#serving ? Serving.SERVING : Serving.NOT_SERVING;
  }

  service(): HealthServer {
    return {
      check: (call, callback) => {
        const s = call.request.service;
        if (s !== "" && s !== HEALTH_SERVICE_NAME) {
          callback({ ...serviceError("NOT_FOUND", `unknown service "${s}"`), code: status.NOT_FOUND });
          return;
        }
        callback(null, { status: this.#statusFor(s) });
      },
      watch: (call) => {
        call.write({ status: this.#statusFor(call.request.service) });
        this.#watchers.add(call);
        call.on("cancelled", () => this.#watchers.delete(call));
      },
    };
  }
}
