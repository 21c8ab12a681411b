/**
 * Reachability probes from inside the VPC. Lambda cannot send ICMP (no raw sockets), so medic
 * substitutes a TCP connect per port plus the SSH banner read and an HTTP health request.
 */
import { isIP, Socket } from 'node:net';
import type { ProbePort } from '../ports.ts';

const BANNER_LIMIT = 255;

export const tcpProbes: ProbePort = {
  tcp(address, port, { timeoutMs, readBanner }) {
    return new Promise((resolve) => {
      const started = performance.now();
      const socket = new Socket();
      let connectedAt: number | null = null;
      let banner = '';
      let settled = false;
      const finish = (tcp: 'open' | 'refused' | 'timeout' | 'error') => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.destroy();
        const line = banner.split(/\r?\n/)[0]?.trim() ?? '';
        resolve({
          port,
          ssh: readBanner,
          tcp,
          banner: tcp === 'open' && line.length > 0 ? line.slice(0, BANNER_LIMIT) : null,
          latencyMs: connectedAt === null ? null : Math.round(connectedAt - started),
        });
      };
      const timer = setTimeout(() => finish(connectedAt === null ? 'timeout' : 'open'), timeoutMs);
      socket.once('connect', () => {
        connectedAt = performance.now();
        // Only an SSH port is expected to speak first; for others the connect is the answer.
        if (!readBanner) finish('open');
      });
      socket.on('data', (chunk: Buffer) => {
        banner += chunk.toString('latin1');
        if (banner.includes('\n') || banner.length >= BANNER_LIMIT) finish('open');
      });
      socket.once('error', (error: NodeJS.ErrnoException) =>
        finish(error.code === 'ECONNREFUSED' ? 'refused' : 'error'),
      );
      socket.once('close', () => finish(connectedAt === null ? 'error' : 'open'));
      socket.connect({ host: address, port, family: isIP(address) || undefined });
    });
  },

  async http(url, timeoutMs) {
    const started = performance.now();
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'manual' });
      await response.body?.cancel();
      return {
        url,
        status: response.status,
        ok: response.status >= 200 && response.status < 400,
        latencyMs: Math.round(performance.now() - started),
        error: null,
      };
    } catch (error) {
      const e = error as Error & { cause?: { code?: string } };
      return {
        url,
        status: null,
        ok: false,
        latencyMs: null,
        error: e.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (e.cause?.code ?? e.message),
      };
    }
  },
};
