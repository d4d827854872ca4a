// Listen addresses in the form Kubernetes controllers use for their flags: ":8080", "127.0.0.1:8080", "[::1]:0".

export interface ListenAddress {
  /** Interface to bind; undefined binds all interfaces. */
  host?: string;
  /** 0 asks the OS for a free port. */
  port: number;
}

export class InvalidAddressError extends Error {
  readonly reason = 'InvalidAddress';

  constructor(
    readonly input: string,
    detail: string,
  ) {
    super(`invalid listen address ${JSON.stringify(input)}: ${detail}`);
    this.name = 'InvalidAddressError';
  }
}

export function parseListenAddress(input: string): ListenAddress {
  const text = input.trim();
  const colon = text.lastIndexOf(':');
  if (colon === -1) throw new InvalidAddressError(input, 'expected "host:port" or ":port", e.g. ":8080"');
  let host = text.slice(0, colon);
  const portText = text.slice(colon + 1);
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65_535) {
    throw new InvalidAddressError(input, 'port must be a number from 0 to 65535');
  }
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  else if (host.includes(':'))
    throw new InvalidAddressError(input, 'write IPv6 hosts in brackets, e.g. "[::1]:8080"');
  if (/[\s/[\]]/.test(host)) throw new InvalidAddressError(input, 'host contains invalid characters');
  const port = Number(portText);
  return host === '' ? { port } : { host, port };
}

export function formatListenAddress(address: ListenAddress): string {
  const host = address.host ?? '';
  return `${host.includes(':') ? `[${host}]` : host}:${address.port}`;
}
