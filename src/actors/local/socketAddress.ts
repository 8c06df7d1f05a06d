// A Unix socket path holds 108 bytes on Linux (sun_path). The control socket of a deep home is
// reached through an open descriptor of its directory instead: /proc/self/fd/N/NAME is short
// whatever the depth, and the socket stays in the agent's own pid dir. (A fallback name in the
// shared temp dir could be taken first by any local user, blocking the agent or posing as it.)
import { closeSync, openSync } from 'node:fs';
import { basename, dirname } from 'node:path';

/** Longest path bound or connected as it is; a longer one goes through its directory's descriptor. */
export const MAX_SOCKET_PATH = 100;

export interface SocketAddress {
  /** What to give to listen() or connect(). */
  address: string;
  /** Closes the directory descriptor, once bound or connected (or failed); safe to call twice. */
  release: () => void;
}

/** Throws (ENOENT, EACCES, ENOTDIR) when a long path's directory cannot be opened. */
export function socketAddress(path: string): SocketAddress {
  if (Buffer.byteLength(path) <= MAX_SOCKET_PATH) return { address: path, release: () => {} };
  const fd = openSync(dirname(path), 'r');
  let open = true;
  return {
    address: `/proc/self/fd/${fd}/${basename(path)}`,
    release: () => {
      if (!open) return;
      open = false;
      closeSync(fd);
    },
  };
}
