/**
 * Stand-ins for a host's SSH daemon and HTTP health endpoint, on 127.0.0.1, so the real probes
 * have something real to talk to. Modes model what on-call sees:
 *   healthy — SSH banner sent, health 200
 *   hung    — TCP accepted (the kernel answers) but no banner; health request never answered
 *   down    — nothing listening (connection refused)
 *   app-down — SSH healthy, health 503
 *   fragile — answers one request at a time (SSH banner, health 200), but with more than
 *             FRAGILE_IN_FLIGHT requests in flight it answers 503 slowly: back for a probe, down under load
 */
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';

export type HostMode = 'healthy' | 'hung' | 'down' | 'app-down' | 'fragile';

/** How many requests at once a fragile host still serves. */
export const FRAGILE_IN_FLIGHT = 4;

export interface FakeHost {
  sshPort: number;
  httpPort: number;
  healthUrl: string;
  mode(): HostMode;
  setMode(mode: HostMode): Promise<void>;
  close(): Promise<void>;
}

function listen(server: Server | HttpServer, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

function closeServer(server: Server | HttpServer | null, sockets: Set<Socket>): Promise<void> {
  if (!server?.listening) return Promise.resolve();
  for (const s of sockets) s.destroy();
  sockets.clear();
  return new Promise((resolve) => server.close(() => resolve()));
}

export async function startFakeHost(initial: HostMode): Promise<FakeHost> {
  let mode: HostMode = initial;
  const sockets = new Set<Socket>();
  const ssh = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    if (mode !== 'hung') socket.end('SSH-2.0-OpenSSH_9.6 medic-fake-host\r\n');
  });
  let inFlight = 0;
  const http = createHttpServer((req, res) => {
    if (mode === 'hung') return; // never answers: the probe's timeout decides
    const answer = (status: number) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: status === 200 ? 'ok' : 'unavailable', path: req.url }));
    };
    if (mode !== 'fragile') return answer(mode === 'app-down' ? 503 : 200);
    inFlight++;
    const overloaded = inFlight > FRAGILE_IN_FLIGHT;
    // Each request holds the host a little, so concurrent requests pile up as they do on a real one.
    setTimeout(
      () => {
        inFlight--;
        answer(overloaded ? 503 : 200);
      },
      overloaded ? 60 : 10,
    );
  });
  http.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  // Reserve ports once; "down" closes the listeners and later modes reopen them on the same ports.
  const sshPort = await listen(ssh, 0);
  const httpPort = await listen(http, 0);

  async function apply(next: HostMode) {
    if (next === 'down') {
      await closeServer(ssh, sockets);
      await closeServer(http, sockets);
    } else {
      if (!ssh.listening) await listen(ssh, sshPort);
      if (!http.listening) await listen(http, httpPort);
    }
    mode = next;
  }
  await apply(initial);

  return {
    sshPort,
    httpPort,
    healthUrl: `http://127.0.0.1:${httpPort}/health`,
    mode: () => mode,
    setMode: apply,
    async close() {
      await closeServer(ssh, sockets);
      await closeServer(http, sockets);
    },
  };
}

/**
 * The local stand-in for the VPC's DNS resolver: the vantage proof's control target when medic
 * runs on this machine. One per process, on 127.0.0.1, accepting and closing connections; it does
 * not keep the process alive.
 */
let canary: Promise<string> | undefined;
export function startLocalCanary(): Promise<string> {
  canary ??= (async () => {
    const server = createServer((socket) => {
      socket.on('error', () => undefined);
      socket.end();
    });
    const port = await listen(server, 0);
    server.unref();
    return `127.0.0.1:${port}`;
  })();
  return canary;
}
