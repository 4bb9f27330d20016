import type { Logger } from "../types.js";

const noop = (): void => {};

/** The default logger: drops everything. */
export const NOOP_LOGGER: Logger = { debug: noop, info: noop, warn: noop, error: noop };
