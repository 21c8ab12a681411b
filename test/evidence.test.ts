/**
 * Evidence branches with in-memory ports: parsing, time boxes, and "could not check X: why".
 */
import { describe, expect, it } from 'vitest';
import { renderHostOutput } from '../local/scenarios.ts';
import { allChecks } from '../shared/domain/evidence-report.ts';
import { hostScript, MAX_LINE, MAX_LOG_LINES, parseHostOutput } from '../shared/domain/host-output.ts';
import type { InstanceCase } from '../shared/domain/model.ts';
import type { LogsPort, MetricsPort, RunCommandPort } from '../shared/ports.ts';
import { gatherEc2, timeBox } from '../shared/usecases/evidence.ts';
import { gatherAlerts, MAX_ERROR_LINES } from '../shared/usecases/evidence-alerts.ts';
import { gatherHost } from '../shared/usecases/evidence-host.ts';
import { evidenceWindow, gatherMetrics } from '../shared/usecases/evidence-resources.ts';
import { instanceCase } from './support/cases.ts';

const NOW = new Date('2026-03-01T12:00:30.000Z');
const clock = () => NOW;

function aCase(over: Partial<InstanceCase['target']> = {}): InstanceCase {
  return instanceCase({
    incidentId: 'inc-1',
    settings: { verifyPolls: 1, probeTimeoutMs: 500 },
    target: {
      instanceId: 'i-0abc',
      privateIp: '10.0.0.1',
      service: 'web.service',
      logGroup: '/app/web',
      ...over,
    },
    assessment: null,
    alarm: {
      name: 'web-1 cpu',
      reason: 'Threshold Crossed',
      datapoints: [{ value: 97 }, { value: 99 }],
      threshold: 90,
      enteredAlarmAt: '2026-03-01T11:58:00.000Z',
    },
  });
}

const never = () => new Promise<never>(() => undefined);

describe('host output parsing (SSM Run Command)', () => {
  it('turns df / free / systemctl / journal output into structured evidence', () => {
    // Prepare
    const stdout = renderHostOutput(
      {
        disks: { '/': 97, '/data disk': 12 },
        memory: { totalMb: 4000, availableMb: 400 },
        failedUnits: ['web.service', 'cron.service'],
        serviceState: 'failed',
        journal: ['kernel: Out of memory: Killed process 1'],
      },
      'web.service',
    );
    // Act
    const parsed = parseHostOutput(stdout, 'web.service');
    // Assess
    expect(parsed).toEqual({
      disks: [
        { mount: '/', usedPercent: 97 },
        { mount: '/data disk', usedPercent: 12 },
      ],
      memory: { totalMb: 4000, availableMb: 400, usedPercent: 90 },
      failedUnits: ['web.service', 'cron.service'],
      service: { name: 'web.service', state: 'failed' },
      logTail: ['kernel: Out of memory: Killed process 1'],
      truncated: false,
    });
  });

  it('bounds the log tail in lines and line length, and says it truncated', () => {
    // Prepare
    const long = 'x'.repeat(MAX_LINE * 3);
    const stdout = `@@medic:log\n${Array.from({ length: 50 }, (_, i) => `${i} ${long}`).join('\n')}\n`;
    // Act
    const parsed = parseHostOutput(stdout, null);
    // Assess
    expect(parsed.logTail).toHaveLength(MAX_LOG_LINES);
    expect(parsed.logTail.at(-1)?.startsWith('49 ')).toBe(true);
    expect(Math.max(...parsed.logTail.map((l) => l.length))).toBeLessThanOrEqual(MAX_LINE + 1);
    expect(parsed.truncated).toBe(true);
  });

  it('survives a host without systemd or journalctl (empty sections, no crash)', () => {
    // Act
    const parsed = parseHostOutput(
      '@@medic:df\ndf: command not found\n@@medic:failed\nbash: systemctl: not found\n',
      'x',
    );
    // Assess
    expect(parsed).toMatchObject({ disks: [], memory: null, failedUnits: [], service: null, logTail: [] });
  });

  it('never interpolates an unsafe unit name into the script', () => {
    // Act
    const script = hostScript("web'; rm -rf / #").join('\n');
    // Assess
    expect(script).not.toContain('rm -rf');
    expect(script).not.toContain('@@medic:service');
  });
});

describe('evidence branches record what they could not check', () => {
  it('a branch that does not answer within its time box is "no answer within N ms"', async () => {
    // Act
    const started = Date.now();
    const branch = await gatherEc2(aCase(), {
      ec2: { describeHealth: never } as never,
      timeoutMs: 50,
    });
    // Assess
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(branch.ok).toBe(false);
    expect(branch.checks[0]?.value).toBe(
      'could not check EC2 status: EvidenceTimeoutError: EC2 status: no answer within 50 ms',
    );
  });

  it('timeBox returns the value when work is on time', async () => {
    // Act / Assess
    await expect(timeBox('x', 1_000, async () => 42)).resolves.toBe(42);
  });

  it('reports the Auto Scaling group from the tag EC2 Auto Scaling sets (none: a single instance)', async () => {
    // Prepare
    const health = (group: string | null) => ({
      describeHealth: async () => ({
        state: 'running',
        systemStatus: 'ok',
        instanceStatus: 'ok',
        scheduledEvents: [],
        instanceType: 't3.micro',
        availabilityZone: 'us-east-1a',
        autoScalingGroup: group,
      }),
    });
    // Act
    const inGroup = await gatherEc2(aCase(), { ec2: health('web-asg') as never });
    const alone = await gatherEc2(aCase(), { ec2: health(null) as never });
    // Assess
    const asg = (b: typeof inGroup) => b.checks.find((c) => c.name === 'Auto Scaling group')?.value;
    expect(asg(inGroup)).toBe('web-asg');
    expect(asg(alone)).toMatch(/^none \(a single instance/);
    expect(inGroup.checks.find((c) => c.name === 'placement')?.value).toBe('t3.micro in us-east-1a');
  });

  it('metrics: one GetMetricData call over the alarm window; missing agent series are a gap', async () => {
    // Prepare
    const calls: { ids: string[]; start: Date; end: Date }[] = [];
    const port: MetricsPort = {
      listAgentSeries: async () => [
        {
          namespace: 'CWAgent',
          metric: 'disk_used_percent',
          dimensions: { InstanceId: 'i-0abc', path: '/' },
        },
      ],
      getMetricData: async (series, w) => {
        calls.push({ ids: series.map((s) => s.id), start: w.start, end: w.end });
        return new Map([
          ['cpu', { timestamps: ['a', 'b'], values: [50, 70] }],
          ['disk0', { timestamps: ['a', 'b'], values: [80, 96] }],
        ]);
      },
    };
    // Act
    const branch = await gatherMetrics(aCase(), {
      metrics: port,
      clock,
      timeoutMs: 1_000,
      windowMinutes: 30,
    });
    // Assess
    expect(calls).toEqual([
      {
        ids: ['cpu', 'disk0'],
        start: new Date('2026-03-01T11:28:00.000Z'),
        end: new Date('2026-03-01T12:01:00.000Z'),
      },
    ]);
    expect(branch.value).toMatchObject({
      cpu: { latest: 70, max: 70, samples: 2 },
      memory: null,
      disks: [{ dimensions: 'path=/', latest: 96 }],
    });
    expect(branch.value?.gaps).toEqual([expect.stringMatching(/^no mem_used_percent/)]);
    expect(branch.checks.map((c) => [c.name, c.status])).toEqual([
      ['CPU utilisation', 'pass'],
      ['disk used path=/', 'fail'],
      ['monitoring gap', 'fail'],
    ]);
  });

  it('the window starts before the alarm, not before the run (a late run still sees the onset)', () => {
    // Act
    const w = evidenceWindow(aCase(), new Date('2026-03-01T14:00:00.000Z'), 10);
    // Assess
    expect(w.start.toISOString()).toBe('2026-03-01T11:48:00.000Z');
  });

  it('host: no command on an instance that is not opted in', async () => {
    // Prepare
    let sent = 0;
    const port: RunCommandPort = {
      agentStatus: async () => ({ pingStatus: 'Online', lastPing: null }),
      send: async () => {
        sent++;
        return 'c-1';
      },
      invocation: async () => null,
    };
    // Act
    const branch = await gatherHost(aCase({ managed: false }), {
      runCommand: port,
      timeoutMs: 500,
      pollMs: 10,
    });
    // Assess
    expect(sent).toBe(0);
    expect(branch.value?.agent).toBe('not-opted-in');
  });

  it('host: polls the invocation until it finishes, bounded by the time box', async () => {
    // Prepare
    let polls = 0;
    const port: RunCommandPort = {
      agentStatus: async () => ({ pingStatus: 'Online', lastPing: null }),
      send: async () => 'c-1',
      invocation: async () => {
        polls++;
        if (polls === 1) return null; // not visible yet
        if (polls < 4) return { status: 'InProgress', stdout: '', stderr: '', responseCode: -1 };
        return {
          status: 'Success',
          stdout: renderHostOutput({ disks: { '/': 99 } }, 'web.service'),
          stderr: '',
          responseCode: 0,
        };
      },
    };
    // Act
    const branch = await gatherHost(aCase(), { runCommand: port, timeoutMs: 5_000, pollMs: 5 });
    // Assess
    expect(polls).toBe(4);
    expect(branch.checks.find((c) => c.name === 'disk usage (df)')).toMatchObject({
      status: 'fail',
      value: '/ 99 %',
    });
  });

  it('host: an agent that lost its connection is reported, not treated as healthy', async () => {
    // Act
    const branch = await gatherHost(aCase(), {
      runCommand: {
        agentStatus: async () => ({ pingStatus: 'ConnectionLost', lastPing: '2026-03-01T11:50:00.000Z' }),
        send: never,
        invocation: never,
      },
      timeoutMs: 500,
      pollMs: 10,
    });
    // Assess
    expect(branch.checks).toEqual([
      expect.objectContaining({
        name: 'SSM agent',
        status: 'fail',
        value: 'SSM agent ConnectionLost since 2026-03-01T11:50:00.000Z',
      }),
    ]);
  });

  it('alerts: error lines only, bounded; a missing log group keeps the alarm evidence', async () => {
    // Prepare
    const events = Array.from({ length: 40 }, (_, i) => ({
      at: NOW.toISOString(),
      stream: 's',
      message: i % 2 ? `ERROR failure ${i}` : `INFO fine ${i}`,
    }));
    const logs: LogsPort = { filter: async () => events };
    const missing: LogsPort = {
      filter: async () => {
        throw Object.assign(new Error('The specified log group does not exist.'), {
          name: 'ResourceNotFoundException',
        });
      },
    };
    // Act
    const found = await gatherAlerts(aCase(), { logs, clock, timeoutMs: 1_000, windowMinutes: 30 });
    const gone = await gatherAlerts(aCase(), { logs: missing, clock, timeoutMs: 1_000, windowMinutes: 30 });
    // Assess
    expect(found.value?.errorLines).toHaveLength(MAX_ERROR_LINES);
    expect(found.value?.errorLines.every((l) => l.message.startsWith('ERROR'))).toBe(true);
    expect(found.value?.errorLines.at(-1)?.message).toBe('ERROR failure 39');
    expect(gone.ok).toBe(true);
    expect(gone.checks.map((c) => c.value)).toEqual([
      'Threshold Crossed',
      '97, 99 (threshold 90)',
      'could not check log group /app/web: ResourceNotFoundException: The specified log group does not exist.',
    ]);
  });
});

describe('alerts for a manual run', () => {
  it("quotes the person's reason as a manual request, not as an alarm", async () => {
    // Prepare
    const c = aCase({ logGroup: null });
    c.alarm = {
      name: null,
      reason: 'customers report timeouts',
      datapoints: [],
      threshold: null,
      enteredAlarmAt: NOW.toISOString(),
    };
    // Act
    const branch = await gatherAlerts(c, {
      logs: { filter: never },
      clock,
      timeoutMs: 100,
      windowMinutes: 30,
    });
    // Assess
    expect(branch.checks.map((k) => [k.name, k.value, k.source])).toEqual([
      ['manual request', 'customers report timeouts', 'manual run input'],
      ['application logs', 'not checked: no medic:log-group tag on the instance', 'instance tags'],
    ]);
  });
});

describe('the ticket and timeline list every check, including the branches the ASL caught', () => {
  it('a branch that failed or timed out in Step Functions reads "could not check X: why"', () => {
    // Prepare
    const ok = {
      ok: true,
      value: null,
      error: null,
      checks: [{ name: 'a', status: 'pass' as const, value: 'v', source: 's' }],
    };
    const caught = {
      ok: false,
      value: null,
      error: 'States.Timeout: Task timed out after 30 seconds',
      checks: [],
    };
    // Act
    const checks = allChecks({ ec2: ok as never, reachability: ok as never, metrics: caught, host: caught });
    // Assess
    expect(checks.map((c) => c.value)).toEqual([
      'v',
      'v',
      'could not check resource metrics: States.Timeout: Task timed out after 30 seconds',
      'could not check on-host view (SSM): States.Timeout: Task timed out after 30 seconds',
    ]);
  });
});

describe('payload bound', () => {
  // A regression guard, not the whole budget: 20 cases with their timelines need the incident store.
  it('the worst-case evidence of one case stays within a few KB (20 cases share one 256 KB state)', async () => {
    // Prepare: everything as large as a host can make it
    const huge = 'y'.repeat(10_000);
    const stdout = renderHostOutput(
      {
        disks: Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`/mnt/${'d'.repeat(50)}${i}`, 99])),
        failedUnits: Array.from({ length: 60 }, (_, i) => `unit-${i}.service`),
        journal: Array.from({ length: 100 }, () => `error ${huge}`),
      },
      'web.service',
    );
    const runCommand: RunCommandPort = {
      agentStatus: async () => ({ pingStatus: 'Online', lastPing: null }),
      send: async () => 'c',
      invocation: async () => ({ status: 'Success', stdout, stderr: '', responseCode: 0 }),
    };
    const logs: LogsPort = {
      filter: async () =>
        Array.from({ length: 500 }, () => ({
          at: NOW.toISOString(),
          stream: huge,
          message: `ERROR ${huge}`,
        })),
    };
    // Act
    const host = await gatherHost(aCase(), { runCommand, timeoutMs: 1_000, pollMs: 10 });
    const alerts = await gatherAlerts(aCase(), { logs, clock, timeoutMs: 1_000, windowMinutes: 30 });
    // Assess
    const size = JSON.stringify({ host, alerts }).length;
    expect(size).toBeLessThan(9_000);
  });
});
