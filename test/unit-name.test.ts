// The restart rung's unit name comes from an instance tag and ends up as a systemctl argument on
// the instance. A value that is not a unit name (above all one starting with "-", which systemctl
// would read as an option however it is quoted) is refused where the tag is read, and the rung is
// held and paged with the reason: nothing is ever sent.
import { describe, expect, it } from 'vitest';
import { hostScript } from '../shared/domain/host-output.ts';
import type { InstanceCase } from '../shared/domain/model.ts';
import { targetFromInstance } from '../shared/domain/target.ts';
import type { NotifierPort, ServiceRestartPort } from '../shared/ports.ts';
import { restartService } from '../shared/usecases/restart-service.ts';
import { instanceCase } from './support/cases.ts';

const clock = () => new Date('2026-01-01T00:00:00.000Z');

function target(service: string | undefined) {
  return targetFromInstance(
    {
      instanceId: 'i-0123456789abcdef0',
      state: 'running',
      availabilityZone: 'us-east-1a',
      instanceType: 't3.micro',
      privateIp: '10.0.0.5',
      tags: { 'medic:managed': 'true', ...(service === undefined ? {} : { 'medic:service': service }) },
    } as Parameters<typeof targetFromInstance>[0],
    [22],
  );
}

function applicationCase(service: string | undefined): InstanceCase {
  return instanceCase({
    target: target(service),
    assessment: {
      classification: 'application',
      confidence: 'high',
      reasons: ['health URL 503'],
      plan: ['restart-service', 'reboot', 'failover', 'page'],
    },
  });
}

const notifier: NotifierPort = { publish: async () => ({ messageId: 'm-1' }) };

describe('medic:service unit names', () => {
  it.each(['nginx', 'nginx.service', 'app@1.service', 'getty@tty1', 'systemd-journald', '0day.service'])(
    '%s is kept',
    (name) => {
      // Act
      const t = target(name);
      // Assess
      expect(t.service).toBe(name);
      expect(t.serviceProblem).toBeUndefined();
    },
  );

  it.each([
    '-H evil',
    '--host=attacker',
    '-.service',
    '.hidden',
    '@x',
    'a b',
    "web'; rm -rf /",
    'x'.repeat(129),
    '',
  ])('%j is refused with a reason', (name) => {
    // Act
    const t = target(name);
    // Assess
    expect(t.service).toBeNull();
    expect(t.serviceProblem).toMatch(/is not a systemd unit name .* medic will not pass it to systemctl$/);
  });

  it('no tag is not a problem (the rung says there is no unit)', () => {
    // Assess
    expect(target(undefined)).toMatchObject({ service: null });
    expect(target(undefined).serviceProblem).toBeUndefined();
  });

  it('the read-only evidence script never names a refused unit either', () => {
    // Act
    const script = hostScript('--host=attacker').join('\n');
    // Assess
    expect(script).not.toContain('attacker');
  });

  it('the restart rung with a refused unit sends nothing, is held with the reason, and goes to page', async () => {
    // Prepare
    const sent: string[] = [];
    const ssm: ServiceRestartPort = {
      restartService: async (id, unit) => {
        sent.push(`${id} ${unit}`);
        return 'cmd-1';
      },
      commandStatus: async () => ({ status: 'success', detail: 'Success' }),
    };
    // Act
    const after = await restartService(applicationCase('--host=attacker'), { ssm, notifier, clock });
    // Assess
    expect(sent).toEqual([]);
    expect(after.actions.map((a) => [a.kind, a.outcome])).toEqual([['restart-service', 'held']]);
    expect(after.actions[0]?.detail).toMatch(
      /^held: medic:service "--host=attacker" is not a systemd unit name/,
    );
    expect(after.assessment?.plan[after.rung]).toBe('page');
    expect(after.next).toBe('act');
  });
});
