/** Servers the tests start: loopback only, on a port the system picks. */
import type { Server as HttpServer } from 'node:http';
import type { Server as NetServer } from 'node:net';

/** Listens on 127.0.0.1 and resolves with the port (or rejects with the listen error). */
export function listenOnLoopback(server: NetServer | HttpServer): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : 0);
    });
  });
}
