// The dev server's TLS identity: a key and certificate for localhost/127.0.0.1 signed by the
// dev server's own CA (see certificateAuthority.ts), made with the openssl command on first start
// and kept in the data dir, so restarts keep the same ones.
import { loadOrCreateCertificateAuthority, type CertificateAuthority } from './certificateAuthority.js';

export interface ServerIdentity {
  key: Buffer;
  cert: Buffer;
  certFile: string;
  /** The CA that signed `cert`; agents trust it (two-way SSL downloads it from /cert/ca/). */
  caCert: Buffer;
  caCertFile: string;
  /** The CA itself, to sign agents' certificate requests (POST /certs/HOST). */
  authority: CertificateAuthority;
}

export function loadOrCreateIdentity(dataDir: string): ServerIdentity {
  const authority = loadOrCreateCertificateAuthority(dataDir);
  return {
    key: authority.serverKey,
    cert: authority.serverCert,
    certFile: authority.serverCertFile,
    caCert: authority.caCert,
    caCertFile: authority.caCertFile,
    authority,
  };
}
