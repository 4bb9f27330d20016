import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

/** The node's Prometheus metrics: the original's counters plus latency and size. */
export class NodeMetrics {
  readonly registry = new Registry();
  readonly retrievedCount: Counter<"arch">;
  readonly storedCount: Counter<"arch">;
  readonly retrievedBytes: Counter<"arch">;
  readonly storedBytes: Counter<"arch">;
  readonly retrieveFailures: Counter<"arch">;
  readonly rpcDuration: Histogram<"method" | "code">;
  readonly storeBytes: Gauge;
  readonly storeFiles: Gauge;
  readonly replicationQueueDepth: Gauge;
  readonly replicationInFlight: Gauge;

  constructor(
    sizes: () => { totalBytes: number; numFiles: number },
    queueDepth: () => number = () => 0,
    inFlight: () => number = () => 0,
  ) {
    const registers = [this.registry];
    const counter = (name: string, help: string) =>
      new Counter({ name, help, labelNames: ["arch"] as const, registers });
    this.retrievedCount = counter("retrieved_count", "Number of artifacts successfully retrieved.");
    this.storedCount = counter("stored_count", "Number of artifacts stored.");
    this.retrievedBytes = counter("retrieved_bytes", "Bytes of artifacts successfully retrieved.");
    this.storedBytes = counter("stored_bytes", "Bytes of artifacts stored.");
    this.retrieveFailures = counter("retrieve_failures", "Number of retrieve requests that missed.");
    this.rpcDuration = new Histogram({
      name: "rpc_duration_seconds",
      help: "gRPC request latency by method and status code.",
      labelNames: ["method", "code"] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.storeBytes = new Gauge({
      name: "store_size_bytes",
      help: "Total bytes of artifact data stored.",
      registers,
      collect() {
        this.set(sizes().totalBytes);
      },
    });
    this.storeFiles = new Gauge({
      name: "store_files",
      help: "Number of artifacts stored.",
      registers,
      collect() {
        this.set(sizes().numFiles);
      },
    });
    this.replicationQueueDepth = new Gauge({
      name: "replication_queue_depth",
      help: "Replications waiting to be retried.",
      registers,
      collect() {
        this.set(queueDepth());
      },
    });
    this.replicationInFlight = new Gauge({
      name: "replication_in_flight",
      help: "Replications being sent, or waiting for a send slot, right now.",
      registers,
      collect() {
        this.set(inFlight());
      },
    });
    collectDefaultMetrics({ register: this.registry });
  }
}
