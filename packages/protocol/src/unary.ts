import { type CallOptions, Metadata, type ServiceError } from "@grpc/grpc-js";

/** The callback-style unary method shape every generated grpc-js client method has. */
export type UnaryMethod<Req, Res> = (
  request: Req,
  metadata: Metadata,
  options: Partial<CallOptions>,
  callback: (error: ServiceError | null, response: Res) => void,
) => unknown;

/** Options for one call. */
export interface CallSettings {
  /** Milliseconds until the call's deadline. Default: none. */
  timeoutMs?: number;
  /** Metadata sent with the call. */
  metadata?: Metadata;
}

/**
 * Calls a generated unary client method and resolves with its response.
 * `call(client, client.store, req, { timeoutMs: 5000 })`.
 */
export function callUnary<C, Req, Res>(
  client: C,
  method: UnaryMethod<Req, Res>,
  request: Req,
  settings: CallSettings = {},
): Promise<Res> {
  const options: Partial<CallOptions> = {};
  if (settings.timeoutMs !== undefined) options.deadline = Date.now() + settings.timeoutMs;
  return new Promise<Res>((resolve, reject) => {
    method.call(client, request, settings.metadata ?? new Metadata(), options, (error, response) => {
      if (error) reject(error);
      else resolve(response);
    });
  });
}
