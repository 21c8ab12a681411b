// A health URL that is silent for one timeout on a host whose sshd still answers is asked once more
// before the application is judged down; a hung host gets no second wait (it would only delay the
// first action). Fake probes: no network at all.
import { describe, expect, it } from 'vitest';
import type { InstanceCase } from '../shared/domain/model.ts';
import type { HttpProbeResult, ProbePort } from '../shared/ports.ts';
import { probeTarget } from '../shared/usecases/evidence.ts';

const silent = (url: string): HttpProbeResult => ({
  url,
  status: null,
  ok: false,
  latencyMs: null,
  error: 'no answer within 500 ms',
});
const answered = (url: string): HttpProbeResult => ({
  url,
  status: 200,
  ok: true,
  latencyMs: 12,
  error: null,
});

function probes(banner: string | null, http: ((url: string) => HttpProbeResult)[]) {
  const asked: string[] = [];
  const port: ProbePort = {
    tcp: async (_address, p) => ({ port: p, ssh: p === 22, tcp: 'open', banner, latencyMs: 1 }),
    http: async (url) => {
      asked.push(url);
      const next = http[Math.min(asked.length - 1, http.length - 1)];
      if (!next) throw new Error('no answer scripted');
      return next(url);
    },
  };
  return { port, asked };
}

const target = {
  target: {
    probe: {
      address: '127.0.0.1',
      ports: [22, 8080],
      sshPort: 22,
      healthUrl: 'http://127.0.0.1:8080/health',
    },
  },
} as unknown as InstanceCase;

describe('probeTarget: a silent health URL', () => {
  it('on a host whose sshd answers is asked once more, and the second answer counts', async () => {
    // Prepare
    const p = probes('SSH-2.0-OpenSSH_9.6', [silent, answered]);
    // Act
    const r = await probeTarget(target, { probes: p.port, timeoutMs: 500, loopbackOnly: true });
    // Assess
    expect(p.asked).toHaveLength(2);
    expect(r.http).toMatchObject({ status: 200, ok: true });
  });

  it('silent twice is judged down, and says it was asked twice', async () => {
    // Prepare
    const p = probes('SSH-2.0-OpenSSH_9.6', [silent, silent]);
    // Act
    const r = await probeTarget(target, { probes: p.port, timeoutMs: 500, loopbackOnly: true });
    // Assess
    expect(p.asked).toHaveLength(2);
    expect(r.http).toMatchObject({ ok: false, error: 'no answer within 500 ms (asked twice)' });
  });

  it('on a hung host (TCP accepted by the kernel, no SSH banner) is not asked again: no second wait before the first action', async () => {
    // Prepare
    const p = probes(null, [silent, answered]);
    // Act
    const r = await probeTarget(target, { probes: p.port, timeoutMs: 500, loopbackOnly: true });
    // Assess
    expect(p.asked).toHaveLength(1);
    expect(r.http).toMatchObject({ ok: false, error: 'no answer within 500 ms' });
  });
});
