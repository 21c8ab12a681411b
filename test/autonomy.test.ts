/**
 * Autonomy, unit level: the one function that decides each rung's mode, the strict MEDIC_AUTONOMY
 * parser, the ladder's gates that follow from them, and the kill switch (its verdict, its
 * adapter's cache and its fail-closed reading) with in-memory ports.
 */
import { describe, expect, it } from 'vitest';
import { parsePause, pauseSwitch } from '../shared/adapters/pause-switch.ts';
import {
  type Autonomy,
  type AutonomyLevel,
  DEFAULT_AUTONOMY,
  describePlan,
  parseAutonomy,
  rungMode,
  runMode,
} from '../shared/domain/autonomy.ts';
import type { InstanceCase, Mode } from '../shared/domain/model.ts';
import type { PauseRecord, PauseSwitchPort } from '../shared/ports.ts';
import { page, pauseReason, prepareRung } from '../shared/usecases/ladder.ts';
import { reboot } from '../shared/usecases/reboot.ts';
import { instanceCase } from './support/cases.ts';

const clock = () => new Date('2026-11-29T10:00:00.000Z');
const ec2 = { consoleOutput: async () => 'login:' };
const ALL: Autonomy = { 'restart-service': 'auto', reboot: 'auto', 'stop-start': 'auto', failover: 'auto' };

function kase(over: Partial<InstanceCase> = {}, autonomy: Autonomy | null = ALL): InstanceCase {
  return instanceCase({
    incidentId: 'medic-web-1-20261129100000000-abcd1234',
    settings: { verifyPolls: 2, ...(autonomy ? { autonomy } : {}) },
    target: { service: 'app.service' },
    ...over,
  });
}

describe('rungMode: each rung runs at the stricter of the run mode and its action autonomy', () => {
  const modes: Mode[] = ['auto', 'approve', 'dry-run'];
  const levels: AutonomyLevel[] = ['auto', 'approve', 'dry-run', 'off'];
  // Strictness off > dry-run > approve > auto, spelled out cell by cell.
  const expected: Record<Mode, Record<AutonomyLevel, AutonomyLevel>> = {
    auto: { auto: 'auto', approve: 'approve', 'dry-run': 'dry-run', off: 'off' },
    approve: { auto: 'approve', approve: 'approve', 'dry-run': 'dry-run', off: 'off' },
    'dry-run': { auto: 'dry-run', approve: 'dry-run', 'dry-run': 'dry-run', off: 'off' },
  };
  for (const mode of modes) {
    for (const level of levels) {
      it(`run ${mode} × reboot=${level} → ${expected[mode][level]}`, () => {
        // Prepare
        const autonomy = { ...ALL, reboot: level };
        // Act
        const got = rungMode(mode, autonomy, 'reboot');
        // Assess
        expect(got).toBe(expected[mode][level]);
        // The other actions keep their own level.
        expect(rungMode(mode, autonomy, 'stop-start')).toBe(expected[mode].auto);
      });
    }
  }

  it('paging a person is never gated: page runs even when every action is off', () => {
    // Prepare
    const off: Autonomy = { 'restart-service': 'off', reboot: 'off', 'stop-start': 'off', failover: 'off' };
    // Act / Assess
    expect(rungMode('dry-run', off, 'page')).toBe('auto');
  });

  it.each([
    ['auto', 'auto', 'auto'],
    ['auto', 'dry-run', 'dry-run'],
    ['auto', 'approve', 'approve'],
    ['dry-run', 'auto', 'dry-run'],
    ['dry-run', 'approve', 'dry-run'],
    ['approve', 'auto', 'approve'],
    ['approve', 'dry-run', 'dry-run'],
  ] as const)(
    'deploy-wide %s, run asks for %s → runs %s (a run can only be stricter)',
    (deploy, asked, want) => {
      // Act / Assess
      expect(runMode(deploy, asked)).toBe(want);
    },
  );

  it('describes the plan with the mode of each rung', () => {
    // Act
    const text = describePlan(['reboot', 'stop-start', 'failover', 'page'], 'auto', DEFAULT_AUTONOMY);
    // Assess
    expect(text).toBe('reboot (auto) → stop-start (approve) → failover (approve) → page');
    expect(describePlan(['reboot', 'page'], 'dry-run', DEFAULT_AUTONOMY)).toBe('reboot (dry-run) → page');
  });
});

describe('parseAutonomy: MEDIC_AUTONOMY, strictly', () => {
  it.each([
    ['', DEFAULT_AUTONOMY],
    ['reboot=approve', { ...DEFAULT_AUTONOMY, reboot: 'approve' }],
    [
      ' restart-service = auto , reboot=auto,stop-start=auto,failover=off ',
      { 'restart-service': 'auto', reboot: 'auto', 'stop-start': 'auto', failover: 'off' },
    ],
    ['failover=dry-run,', { ...DEFAULT_AUTONOMY, failover: 'dry-run' }],
  ])('"%s" parses', (text, want) => {
    // Act / Assess
    expect(parseAutonomy(text)).toEqual(want);
  });

  it.each([
    ['reboots=auto', /unknown action "reboots"/],
    ['page=off', /unknown action "page"/],
    ['reboot=yes', /unknown level "yes" for reboot/],
    ['reboot=AUTO', /"reboot=AUTO" is not action=level|unknown level/],
    ['reboot', /"reboot" is not action=level/],
    ['reboot=', /"reboot=" is not action=level/],
    ['reboot:auto', /is not action=level/],
    ['reboot=auto,reboot=off', /reboot is given twice/],
  ])('"%s" is refused with a message naming it', (text, message) => {
    // Act / Assess
    expect(() => parseAutonomy(text)).toThrow(message);
  });

  it('the safe defaults: same-host actions at once, moving hardware or traffic needs a person', () => {
    expect(DEFAULT_AUTONOMY).toEqual({
      'restart-service': 'auto',
      reboot: 'auto',
      'stop-start': 'approve',
      failover: 'approve',
    });
  });
});

describe('the ladder follows each rung mode', () => {
  it('off: the rung is skipped with a note and the ladder moves on, nothing is asked or done', async () => {
    // Prepare
    const c = kase({}, { ...ALL, reboot: 'off' });
    // Act
    const k = await prepareRung(c, { ec2, clock });
    // Assess
    expect(k).toMatchObject({ rung: 1, next: 'act', actions: [] });
    expect(k.timeline.at(-1)?.summary).toMatch(/^skipped reboot: autonomy for reboot is off/);
  });

  it('approve by autonomy in an auto run: the rung waits for a person; the next auto rung does not', async () => {
    // Prepare
    const c = kase({}, { ...ALL, reboot: 'approve' });
    // Act
    const asked = await prepareRung(c, { ec2, clock });
    const stopStart = await prepareRung(kase({ rung: 1 }, { ...ALL, reboot: 'approve' }), { ec2, clock });
    // Assess
    expect(asked.next).toBe('approve');
    expect(stopStart.next).toBe('run');
  });

  it('a case without autonomy (older producer) gets the safe defaults: stop-start asks first', async () => {
    // Act
    const k = await prepareRung(kase({ rung: 1 }, null), { ec2, clock });
    // Assess
    expect(k.next).toBe('approve');
  });

  it('dry-run by autonomy in an auto run: "would have", then the ladder goes on toward the page', async () => {
    // Prepare
    const calls: boolean[] = [];
    const published: string[] = [];
    const c = kase({ action: 'reboot' }, { ...ALL, reboot: 'dry-run' });
    // Act
    const k = await reboot(c, {
      ec2: { reboot: async (_id, o) => void calls.push(o.dryRun) },
      notifier: {
        publish: async (n) => {
          published.push(`${n.subject}\n${n.body}`);
          return { messageId: 'm' };
        },
      },
      clock,
    });
    // Assess
    expect(calls).toEqual([true]);
    expect(k.actions.map((a) => a.outcome)).toEqual(['would-have']);
    expect(k).toMatchObject({ rung: 1, next: 'act', outcome: null });
    expect(published[0]).toMatch(/DRY RUN: reboot/);
    expect(published[0]).toMatch(/Plan: reboot \(dry-run\) → stop-start \(auto\) → failover \(auto\) → page/);
  });

  it('a dry-run run still ends at its first "would have" (nothing changed, nothing to verify)', async () => {
    // Act
    const k = await reboot(kase({ mode: 'dry-run', action: 'reboot' }), {
      ec2: { reboot: async () => undefined },
      notifier: { publish: async () => ({ messageId: 'm' }) },
      clock,
    });
    // Assess
    expect(k).toMatchObject({ next: 'done', outcome: 'dry-run' });
  });
});

const paused: PauseRecord = {
  reason: 'database failover in progress',
  by: 'alice',
  at: '2026-11-29T09:59:00.000Z',
  source: 'SSM parameter /medic/dev/pause',
};
const sw = (read: PauseSwitchPort['read']): PauseSwitchPort => ({ read });

describe('the kill switch in PrepareRung (before every mutating rung)', () => {
  it('paused: the rung is held with who paused and why, nothing is asked, and the case goes to the page', async () => {
    // Act
    const k = await prepareRung(kase({ rung: 1 }), { ec2, clock, pause: [sw(async () => paused)] });
    // Assess
    expect(k).toMatchObject({ action: 'page', next: 'run', outcome: 'held' });
    expect(k.actions.map((a) => [a.kind, a.outcome])).toEqual([['stop-start', 'held']]);
    expect(k.timeline.at(-1)?.summary).toMatch(
      /^held by paused: medic is paused by alice since 2026-11-29T09:59:00.000Z: "database failover in progress"/,
    );
  });

  it('paused while a rung waited for approval: the approved rung is held right before it acts', async () => {
    // Prepare
    const approved = kase({ approval: { decision: 'approve', detail: 'ok' } }, { ...ALL, reboot: 'approve' });
    // Act
    const k = await prepareRung(approved, { ec2, clock, pause: [sw(async () => paused)] });
    // Assess
    expect(k).toMatchObject({ action: 'page', outcome: 'held', approval: null });
  });

  it('not paused: the other gates decide (here the rung runs)', async () => {
    // Act
    const k = await prepareRung(kase(), { ec2, clock, pause: [sw(async () => null)] });
    // Assess
    expect(k).toMatchObject({ action: 'reboot', next: 'run', outcome: null });
  });

  it('fails closed: a switch that cannot be read holds, and says so', async () => {
    // Prepare
    const denied = Object.assign(new Error('not authorized to perform ssm:GetParameter'), {
      name: 'AccessDeniedException',
    });
    // Act
    const why = await pauseReason([
      sw(async () => {
        throw denied;
      }),
    ]);
    const k = await prepareRung(kase(), {
      ec2,
      clock,
      pause: [
        sw(async () => {
          throw denied;
        }),
      ],
    });
    // Assess
    expect(why).toMatch(/could not read the kill switch \(AccessDeniedException: .*\): failing closed/);
    expect(k.outcome).toBe('held');
  });

  it('a transient read failure is thrown for the Task to retry, never read as "not paused"', async () => {
    // Prepare
    const transient = Object.assign(new Error('SSM GetParameter: connection refused'), {
      name: 'AwsTransientError',
    });
    const failing = sw(async () => {
      throw transient;
    });
    // Act
    const decided = await prepareRung(kase(), { ec2, clock, pause: [failing] }).then(
      (k) => k.action,
      (e: Error) => e.name,
    );
    // Assess
    expect(decided).toBe('AwsTransientError');
  });

  it('a second switch (the pause alarm) pauses too', async () => {
    // Act / Assess
    expect(await pauseReason([sw(async () => null), sw(async () => paused)])).toMatch(/paused by alice/);
  });

  it('a held, paused case pages, stays held (not escalated), and the page says who paused and why', async () => {
    // Prepare
    const sent: string[] = [];
    const held = await prepareRung(kase({ rung: 1 }), { ec2, clock, pause: [sw(async () => paused)] });
    // Act
    const paged = await page(held, {
      notifier: {
        publish: async (n) => {
          sent.push(n.body);
          return { messageId: 'm' };
        },
      },
      clock,
    });
    // Assess
    expect(paged.outcome).toBe('held');
    expect(paged.actions.map((a) => [a.kind, a.outcome])).toEqual([
      ['stop-start', 'held'],
      ['page', 'paged'],
    ]);
    expect(sent[0]).toMatch(/Why: held by paused: medic is paused by alice .*database failover in progress/);
  });
});

describe('the kill switch adapter (SSM parameter)', () => {
  function fakeSsm(answers: (() => unknown)[]) {
    let calls = 0;
    const client = {
      send: async () => {
        const answer = answers[Math.min(calls++, answers.length - 1)];
        return answer?.();
      },
    };
    return { client: client as never, calls: () => calls };
  }
  const value = (v: unknown) => () => ({ Parameter: { Value: JSON.stringify(v) } });
  const notFound = () => {
    throw Object.assign(new Error('not found'), { name: 'ParameterNotFound' });
  };

  it('no parameter: not paused; a value: paused with who, why, when', async () => {
    // Prepare
    let now = 0;
    const ssm = fakeSsm([notFound, value({ paused: true, reason: 'r', by: 'bob', at: 't' })]);
    const sw = pauseSwitch(ssm.client, '/medic/dev/pause', { maxAgeMs: 5_000, now: () => now });
    // Act
    const first = await sw.read();
    now = 5_000;
    const second = await sw.read();
    // Assess
    expect(first).toBeNull();
    expect(second).toEqual({ reason: 'r', by: 'bob', at: 't', source: 'SSM parameter /medic/dev/pause' });
  });

  it('trusts a read for maxAge only, and never caches a failure', async () => {
    // Prepare
    let now = 0;
    const throttled = () => {
      throw Object.assign(new Error('slow down'), { name: 'ThrottlingException' });
    };
    const ssm = fakeSsm([notFound, throttled, notFound]);
    const sw = pauseSwitch(ssm.client, '/medic/dev/pause', { maxAgeMs: 5_000, now: () => now });
    // Act
    await sw.read();
    now = 4_999;
    await sw.read(); // cached
    const cachedCalls = ssm.calls();
    now = 5_000;
    const failed = await sw.read().catch((e: Error) => e.name);
    const again = await sw.read();
    // Assess
    expect(cachedCalls).toBe(1);
    expect(failed).toBe('AwsTransientError');
    expect(again).toBeNull();
    expect(ssm.calls()).toBe(3);
  });

  it.each([
    ['not json', /does not hold JSON/],
    ['{"paused":"yes"}', /does not hold \{"paused": true\|false/],
    ['null', /does not hold/],
  ])("a value that is not medic's (%s) is an error, so the guard fails closed", (text, message) => {
    // Act / Assess
    expect(() => parsePause('/medic/dev/pause', text)).toThrow(message);
  });

  it('{"paused": false} is not paused', () => {
    expect(parsePause('/p', '{"paused":false}')).toBeNull();
  });
});
