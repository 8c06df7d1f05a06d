// agentEnv's reverseLookup: whether this host's name and its FQDN resolve to the same IPv4 address.
import { lookup } from 'node:dns/promises';
import * as os from 'node:os';
import { withTimeout } from '../../../util/promises.js';

/** How long a lookup of the host's own name may take before it counts as failed. */
const LOOKUP_TIMEOUT_MS = 500;

async function resolveIPv4(name: string): Promise<string | undefined> {
  if (!name) return undefined;
  return withTimeout(
    lookup(name, { family: 4 }).then((r) => r.address),
    LOOKUP_TIMEOUT_MS,
    undefined,
  );
}

/** The original's checkReverseLookup: the host name and the FQDN resolve to the same IPv4 address. */
export async function reverseLookup(fqdn: string): Promise<boolean> {
  const own = os.hostname().toLowerCase();
  const wanted = fqdn.toLowerCase();
  const [ownIp, fqdnIp] = await Promise.all([resolveIPv4(own), wanted === own ? undefined : resolveIPv4(wanted)]);
  if (ownIp === undefined) return false;
  return wanted === own ? true : ownIp === fqdnIp;
}
