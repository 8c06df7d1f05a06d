// Host, port and path out of the loose "URIs" alert definitions resolve to (`c6401:8080`,
// `http://h:50070/jmx`, `8080`, `0.0.0.0:6188`, `PLAINTEXT://localhost:6667`), with the rules of
// ambari_commons.inet_utils.get_host_from_url and resource_management's get_port_from_url and
// get_path_from_url (RFC 3986 appendix B split; a bare number is a port).

const RFC3986 = /^(([^:/?#]+):)?(\/\/([^/?#]*))?([^?#]*)(\?([^#]*))?(#(.*))?/;

/** The host, or undefined for a non-string or a bare port. */
export function hostFromUrl(uri: unknown): string | undefined {
  if (typeof uri !== 'string') return undefined;
  const m = RFC3986.exec(uri)!;
  const scheme = m[2] ?? '';
  const slashedAuthority = m[3] ?? '';
  let hostAndPort = uri;
  if (scheme === '') hostAndPort = m[5] ?? '';
  else if (slashedAuthority === '') hostAndPort = scheme; // "host:port" reads as scheme "host"
  else hostAndPort = m[4] ?? '';
  if (!hostAndPort.includes(':')) return /^\d+$/.test(hostAndPort) ? undefined : hostAndPort;
  return hostAndPort.split(':')[0];
}

/** The port: a number as is, the first `:NNNNN` followed by '/' or the end, or a bare number; else undefined. */
export function portFromUrl(uri: unknown): number | undefined {
  if (typeof uri === 'number') return Number.isInteger(uri) ? uri : undefined;
  if (typeof uri !== 'string' || uri.trim() === '') return undefined;
  const m = /:(\d{1,5})(?=\/|$)/.exec(uri);
  if (m !== null) return Number(m[1]);
  return /^\d+$/.test(uri) ? Number(uri) : undefined;
}

/** The path after the host[:port] part, without its leading '/', or undefined. */
export function pathFromUrl(uri: string): string | undefined {
  const m = /^((.+):\/\/)?(([a-zA-Z0-9]|\.|-)*)(:(\d{2,}))?\/(.*)$/.exec(uri);
  return m === null ? undefined : m[7];
}
