// The dev server started inside the test process, on loopback with free ports and no TLS
// client certificates; `log` lines are collected by the caller.
import { startDevServer, type DevServer, type DevServerOptions } from '../../src/server/devServer.js';

export function startLoopbackDevServer(dataDir: string, options: Partial<DevServerOptions> = {}): Promise<DevServer> {
  return startDevServer({ host: '127.0.0.1', urlPort: 0, securedUrlPort: 0, apiPort: 0, dataDir, twoWaySsl: false, passphrase: 'DEV', ...options });
}
