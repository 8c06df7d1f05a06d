// One TLS secure context per distinct ca/key/cert, reused by every connection made with them
// (reconnects of one agent, and the thousands of hosts of `simulate`): Node makes a new
// context, trust store included, for each connection that is given none.
import { createHash } from 'node:crypto';
import { createSecureContext, type SecureContext } from 'node:tls';

export interface TlsMaterial {
  ca?: Buffer;
  key?: Buffer;
  cert?: Buffer;
}

/** Contexts kept at most; past it the oldest is dropped (a new one is made when needed again). */
const MAX_CONTEXTS = 64;
const contexts = new Map<string, SecureContext>();

export function sharedSecureContext(material: TlsMaterial): SecureContext {
  const hash = createHash('sha256');
  for (const part of [material.ca, material.key, material.cert]) hash.update(part ? `${part.length}:` : '-:').update(part ?? '');
  const key = hash.digest('hex');
  let context = contexts.get(key);
  if (!context) {
    context = createSecureContext({ ...(material.ca ? { ca: material.ca } : {}), ...(material.key ? { key: material.key } : {}), ...(material.cert ? { cert: material.cert } : {}) });
    contexts.set(key, context);
    if (contexts.size > MAX_CONTEXTS) contexts.delete(contexts.keys().next().value as string);
  }
  return context;
}

/**
 * https.request options that use the shared context: the request's socket is tls.connect's,
 * which takes `secureContext` (https.RequestOptions' type does not list it).
 */
export function withSecureContext(material: TlsMaterial): Record<string, never> {
  return { secureContext: sharedSecureContext(material) } as unknown as Record<string, never>;
}
