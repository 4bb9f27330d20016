/** A log method in pino's shape: a bindings object, then the message. */
export type LogFn = (obj: object, msg?: string) => void;

/** The logger this package takes: any pino logger (or child) fits. */
export interface Logger {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
}

const noop: LogFn = () => {};

/** The default logger: discards everything. */
export const silentLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop };
