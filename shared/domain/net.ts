/** Loopback checks: medic simulate and the tests may only ever reach this machine. */
import { isIP } from 'node:net';

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === '::1') return true;
  return isIP(h) === 4 && h.startsWith('127.');
}

export function isLoopbackUrl(url: string): boolean {
  try {
    return isLoopbackHost(new URL(url).hostname);
  } catch {
    return false;
  }
}

/** `host:port` (IPv6 in brackets) → its parts; null when it is not that shape. */
export function parseHostPort(value: string): { host: string; port: number } | null {
  const m = /^(\[[0-9a-fA-F:]+\]|[^:\s]+):(\d{1,5})$/.exec(value.trim());
  const port = Number(m?.[2]);
  if (!m?.[1] || !Number.isInteger(port) || port < 1 || port > 65_535) return null;
  return { host: m[1].replace(/^\[|\]$/g, ''), port };
}

/**
 * The Amazon-provided DNS resolver of a VPC: its primary IPv4 CIDR's base address plus two
 * (10.0.0.0/16 → 10.0.0.2). It answers DNS over TCP 53 inside any VPC with DNS support enabled.
 */
export function amazonDnsAddress(cidr: string): string | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr.trim());
  if (!m) return null;
  const octets = m.slice(1, 5).map(Number);
  const bits = Number(m[5]);
  if (octets.some((o) => o > 255) || bits > 28) return null;
  const ip = octets.reduce((acc, o) => acc * 256 + o, 0);
  const size = 2 ** (32 - bits);
  const base = Math.floor(ip / size) * size;
  const dns = base + 2;
  return [24, 16, 8, 0].map((shift) => Math.floor(dns / 2 ** shift) % 256).join('.');
}
