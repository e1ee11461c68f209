import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { H3 } from 'h3';
import { toNodeHandler } from 'h3/node';

export interface HttpServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Listens with node:http; close() stops accepting and ends idle keep-alive sockets. */
export async function listen(app: H3, host: string, port: number): Promise<HttpServer> {
  const server: Server = createServer(toNodeHandler(app));
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${shownHost}:${address.port}`,
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        // A client holding a connection open must not keep us from exiting.
        setTimeout(() => server.closeAllConnections(), 1000).unref();
      }),
  };
}
