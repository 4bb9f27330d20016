/** A parsed gossip address. `host` has no brackets, even for IPv6. */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

const HOST_RE = /^[A-Za-z0-9._-]+$/;
const IPV6_RE = /^[0-9A-Fa-f:.]+(%[A-Za-z0-9_.-]+)?$/;

/**
 * Parses `host:port`, `[v6]:port`, or (when `defaultPort` is given) a bare host or bare IPv6
 * address. Returns undefined when it does not parse; never throws.
 */
export function parseHostPort(text: string, defaultPort?: number): HostPort | undefined {
  if (text.length === 0 || text.length > 300) return undefined;
  let host: string;
  let portText: string | undefined;
  if (text.startsWith("[")) {
    const close = text.indexOf("]");
    if (close < 0) return undefined;
    host = text.slice(1, close);
    const rest = text.slice(close + 1);
    if (rest.length > 0) {
      if (!rest.startsWith(":")) return undefined;
      portText = rest.slice(1);
    }
    if (!IPV6_RE.test(host)) return undefined;
  } else {
    const first = text.indexOf(":");
    const last = text.lastIndexOf(":");
    if (first >= 0 && first !== last) {
      // Several colons and no brackets: a bare IPv6 address.
      if (!IPV6_RE.test(text)) return undefined;
      host = text;
    } else if (first >= 0) {
      host = text.slice(0, first);
      portText = text.slice(first + 1);
    } else {
      host = text;
    }
    if (host !== text || first < 0) {
      if (!HOST_RE.test(host)) return undefined;
    }
  }
  if (host.length === 0) return undefined;
  let port: number;
  if (portText === undefined) {
    if (defaultPort === undefined) return undefined;
    port = defaultPort;
  } else {
    if (!/^[0-9]{1,5}$/.test(portText)) return undefined;
    port = Number(portText);
  }
  if (!Number.isInteger(port) || port < 1 || port > 65535) return undefined;
  return { host, port };
}

/** Formats a host and port as `host:port`, bracketing IPv6 hosts. */
export function formatHostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}
