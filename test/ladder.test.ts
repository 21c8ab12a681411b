/** Unit tests for the mitigation ladder's use cases, with in-memory ports. */
import { describe, expect, it } from 'vitest';
import { approvalLinks, verifyLink } from '../shared/domain/approval-link.ts';
import { type InstanceCase, NO_FAILOVER } from '../shared/domain/model.ts';
import { StopNotAllowedError } from '../shared/errors.ts';
import type {
  AutoScalingHealthPort,
  Ec2ActionsPort,
  Ec2Port,
  Notification,
  NotifierPort,
  ProbePort,
  ServiceRestartPort,
  TargetGroupPort,
} from '../shared/ports.ts';
import { decide } from '../shared/usecases/approval.ts';
import { gatherReachability } from '../shared/usecases/evidence.ts';
import { failover } from '../shared/usecases/failover.ts';
import { page, prepareRung } from '../shared/usecases/ladder.ts';
import { reboot } from '../shared/usecases/reboot.ts';
import { restartService } from '../shared/usecases/restart-service.ts';
import { stopStart } from '../shared/usecases/stop-start.ts';
import { instanceCase as aCase, type CaseOverrides, instanceInfo, PRIVATE_PROBE } from './support/cases.ts';

const clock = () => new Date('2026-01-01T00:00:00.000Z');

function notifier() {
  const published: Notification[] = [];
  const port: NotifierPort = {
    publish: async (n) => {
      published.push(n);
      return { messageId: `m-${published.length}` };
    },
  };
  return { port, published };
}

/** The ladder's case: a managed web-1 running a unit, probed at its private address. */
function instanceCase(over: CaseOverrides & { managed?: boolean } = {}): InstanceCase {
  const { managed = true, ...rest } = over;
  return aCase({ target: { managed, service: 'app.service', probe: PRIVATE_PROBE }, ...rest });
}

const noGroup: AutoScalingHealthPort = { setUnhealthy: async () => undefined, group: async () => null };

function ec2Fake(over: Partial<Ec2ActionsPort & Ec2Port> = {}) {
  const calls: string[] = [];
  let state = 'running';
  const port: Ec2ActionsPort & Ec2Port = {
    describeInstances: async (ids) => ids.map((id) => instanceInfo(id)),
    describeHealth: async () => ({ state, systemStatus: 'ok', instanceStatus: 'ok', scheduledEvents: [] }),
    reboot: async (id, { dryRun }) => void calls.push(`reboot ${id} dry=${dryRun}`),
    instanceState: async () => ({ state, rootDeviceType: 'ebs' }),
    spotRequestType: async () => null,
    stop: async (id, { dryRun }) => {
      calls.push(`stop ${id} dry=${dryRun}`);
      if (!dryRun) state = 'stopped';
    },
    start: async (id, { dryRun }) => {
      calls.push(`start ${id} dry=${dryRun}`);
      if (!dryRun) state = 'running';
    },
    consoleOutput: async () => 'line 1\nkernel: hung task\n',
    elasticIpOf: async () => null,
    associateElasticIp: async (a, id, { dryRun }) => void calls.push(`associate ${a} ${id} dry=${dryRun}`),
    ...over,
  };
  return { port, calls, setState: (s: string) => (state = s) };
}

describe('PrepareRung: the gates before any mutating call', () => {
  it('never acts on an instance that is not opted in, whatever the rung: holds and hands over to Page', async () => {
    // Prepare
    const ec2 = ec2Fake();
    // Act
    const result = await prepareRung(instanceCase({ managed: false, rung: 1 }), { ec2: ec2.port, clock });
    // Assess
    expect(result.actions.map((a) => [a.kind, a.outcome])).toEqual([['stop-start', 'held']]);
    expect(result).toMatchObject({ action: 'page', next: 'run', outcome: 'held' });
    expect(ec2.calls).toEqual([]);
  });

  it('captures the console output into the timeline before a destructive rung', async () => {
    // Act
    const result = await prepareRung(instanceCase(), { ec2: ec2Fake().port, clock });
    // Assess
    expect(result).toMatchObject({ action: 'reboot', next: 'run' });
    expect(result.timeline[0]?.summary).toMatch(
      /before reboot: captured console output .*2 lines; last: kernel: hung task/,
    );
  });

  it('in approve mode pauses for approval first, then proceeds only on "approve"', async () => {
    // Prepare
    const deps = { ec2: ec2Fake().port, clock };
    // Act
    const asked = await prepareRung(instanceCase({ mode: 'approve' }), deps);
    const approved = await prepareRung(
      { ...asked, approval: { decision: 'approve', detail: 'via link' } },
      deps,
    );
    // Assess
    expect(asked.next).toBe('approve');
    expect(approved).toMatchObject({ next: 'run', action: 'reboot', approval: null });
  });

  it.each([
    [{ Error: 'States.Timeout', Cause: '' }, 'timed-out', null],
    [{ Error: 'ApprovalRejected', Cause: 'rejected via signed link' }, 'rejected', 'held'],
    [{ Error: 'Lambda.Unknown', Cause: 'boom' }, 'failed', null],
  ])(
    'records %o as %s (a timeout is never a rejection) and goes to Page',
    async (approval, outcome, caseOutcome) => {
      // Act
      const result = await prepareRung(instanceCase({ mode: 'approve', approval }), {
        ec2: ec2Fake().port,
        clock,
      });
      // Assess
      expect(result.actions.map((a) => [a.kind, a.outcome])).toEqual([['reboot', outcome]]);
      expect(result).toMatchObject({ action: 'page', next: 'run', outcome: caseOutcome });
    },
  );
});

describe('actions', () => {
  it('reboot in dry-run only proves permission and ends the case as "would have"', async () => {
    // Prepare
    const ec2 = ec2Fake();
    // Act
    const result = await reboot(instanceCase({ mode: 'dry-run' }), {
      ec2: ec2.port,
      notifier: notifier().port,
      clock,
    });
    // Assess
    expect(ec2.calls).toEqual(['reboot i-0123456789abcdef0 dry=true']);
    expect(result).toMatchObject({ next: 'done', outcome: 'dry-run' });
    expect(result.actions[0]?.detail).toMatch(/^dry run: would have rebooted/);
  });

  it('restart-service sends one SSM command, polls it (never resends), and gives up after the bound', async () => {
    // Prepare
    const sent: string[] = [];
    const ssm: ServiceRestartPort = {
      restartService: async (id, unit) => {
        sent.push(`${id} ${unit}`);
        return 'cmd-1';
      },
      commandStatus: async () => ({ status: 'pending', detail: 'InProgress' }),
    };
    const deps = { ssm, notifier: notifier().port, clock };
    // Act
    const first = await restartService(instanceCase(), deps);
    const second = await restartService(first, deps);
    const third = await restartService(second, deps);
    // Assess
    expect(sent).toEqual(['i-0123456789abcdef0 app.service']);
    expect([first.next, second.next, third.next]).toEqual(['poll', 'poll', 'act']);
    expect(third.actions.map((a) => [a.kind, a.outcome])).toEqual([['restart-service', 'failed']]);
    expect(third.rung).toBe(1);
  });

  it('stop/start waits for stopped, starts, waits for running, then hands over to Verify', async () => {
    // Prepare
    const ec2 = ec2Fake();
    const deps = {
      ec2: ec2.port,
      autoScaling: noGroup,
      notifier: notifier().port,
      clock,
      defaultPorts: [22],
    };
    // Act
    const stopping = await stopStart(instanceCase({ rung: 1 }), deps);
    const starting = await stopStart(stopping, deps);
    const done = await stopStart(starting, deps);
    // Assess
    expect(ec2.calls).toEqual(['stop i-0123456789abcdef0 dry=false', 'start i-0123456789abcdef0 dry=false']);
    expect([stopping.pending?.phase, starting.pending?.phase, done.next]).toEqual([
      'stopping',
      'starting',
      'verify',
    ]);
    expect(done.actions.map((a) => [a.kind, a.outcome])).toEqual([['stop-start', 'succeeded']]);
  });

  it.each([
    [
      'an instance-store root',
      { instanceState: async () => ({ state: 'running', rootDeviceType: 'instance-store' }) },
      /instance-store/,
    ],
    [
      'EC2 refusing the stop',
      {
        stop: async () => {
          throw new StopNotAllowedError('EC2 refused to stop i-0123456789abcdef0: OperationNotPermitted');
        },
      },
      /OperationNotPermitted/,
    ],
  ])('stop/start with %s escalates clearly to the next rung', async (_what, over, detail) => {
    // Prepare
    const ec2 = ec2Fake(over as Partial<Ec2ActionsPort>);
    // Act
    const result = await stopStart(instanceCase({ rung: 1 }), {
      ec2: ec2.port,
      autoScaling: noGroup,
      notifier: notifier().port,
      clock,
      defaultPorts: [22],
    });
    // Assess
    expect(result).toMatchObject({ next: 'act', rung: 2 });
    expect(result.actions[0]?.outcome).toBe('failed');
    expect(result.actions[0]?.detail).toMatch(detail);
  });
});

describe('failover never leaves the service with zero healthy targets', () => {
  function tgFake(standbyHealth: string) {
    const calls: string[] = [];
    const members = new Set(['i-0123456789abcdef0']);
    const port: TargetGroupPort = {
      health: async () =>
        Object.fromEntries([...members].map((m) => [m, m === 'i-standby' ? standbyHealth : 'unhealthy'])),
      register: async (_arn, id) => {
        calls.push(`register ${id}`);
        members.add(id);
      },
      deregister: async (_arn, id) => {
        calls.push(`deregister ${id}`);
        members.delete(id);
      },
    };
    return { port, calls };
  }
  const asg = noGroup;
  const deps = (targetGroups: TargetGroupPort, autoScaling = asg) => ({
    ec2: ec2Fake().port,
    targetGroups,
    dns: {
      zone: async () => ({ privateZone: true }),
      records: async () => [],
      upsert: async () => 'c-1',
    },
    autoScaling,
    notifier: notifier().port,
    clock,
    defaultPorts: [22],
  });
  const withConfig = (failoverCfg: Partial<InstanceCase['target']['failover']>) => {
    const c = instanceCase({ rung: 2 });
    return {
      ...c,
      target: { ...c.target, failover: { ...NO_FAILOVER, ...c.target.failover, ...failoverCfg } },
    };
  };

  it('keeps the sick instance in the target group when the standby never turns healthy', async () => {
    // Prepare
    const tg = tgFake('unhealthy');
    const d = deps(tg.port);
    // Act
    let c = await failover(withConfig({ standby: 'i-standby', targetGroupArn: 'arn:tg' }), d);
    while (c.next === 'poll') c = await failover(c, d);
    // Assess
    expect(tg.calls).toEqual(['register i-standby']);
    expect(c.actions.map((a) => [a.kind, a.outcome])).toEqual([['failover', 'failed']]);
    expect(c.actions[0]?.detail).toMatch(/did not turn healthy within 2 polls.*left in the group/);
  });

  it('deregisters the sick instance only once the standby is healthy', async () => {
    // Prepare
    const tg = tgFake('healthy');
    const d = deps(tg.port);
    // Act
    let c = await failover(withConfig({ standby: 'i-standby', targetGroupArn: 'arn:tg' }), d);
    while (c.next === 'poll') c = await failover(c, d);
    // Assess
    expect(tg.calls).toEqual(['register i-standby', 'deregister i-0123456789abcdef0']);
    expect(c).toMatchObject({ next: 'verify', verifyProbe: { address: '127.0.0.1' } });
  });

  it('refuses to mark the only healthy instance of an Auto Scaling group Unhealthy', async () => {
    // Prepare
    const marked: string[] = [];
    const lonely: AutoScalingHealthPort = {
      setUnhealthy: async (id) => void marked.push(id),
      group: async () => ({ managed: true, healthyPeers: [] }),
    };
    // Act
    const c = await failover(withConfig({ autoScalingGroup: 'web' }), deps(tgFake('healthy').port, lonely));
    // Assess
    expect(marked).toEqual([]);
    expect(c.actions[0]).toMatchObject({ kind: 'failover', outcome: 'failed' });
    expect(c.actions[0]?.detail).toMatch(/only healthy InService instance/);
  });
});

describe('Page and approval links', () => {
  it('pages with severity critical, the evidence and every rung tried', async () => {
    // Prepare
    const n = notifier();
    const c = instanceCase({
      actions: [
        {
          kind: 'reboot',
          instanceId: 'i-1',
          at: '2026-01-01T00:00:00.000Z',
          outcome: 'not-recovered',
          detail: 'x',
        },
      ],
    });
    // Act
    const result = await page(c, { notifier: n.port, clock });
    // Assess
    expect(n.published[0]?.severity).toBe('critical');
    expect(n.published[0]?.body).toMatch(/Tried:\n {2}- 2026-01-01T00:00:00.000Z reboot: not-recovered/);
    expect(result).toMatchObject({ next: 'done', outcome: 'escalated' });
  });

  it('a link cannot be turned from reject into approve, nor used after it expires', () => {
    // Prepare
    const { rejectUrl } = approvalLinks('https://x.example/approval', 'secret-secret-secret', 'tok', 1_000);
    const params = Object.fromEntries(new URL(rejectUrl).searchParams);
    // Act + Assess
    expect(verifyLink(params, 'secret-secret-secret', new Date(999_000))).toMatchObject({
      decision: 'reject',
    });
    expect(() =>
      verifyLink({ ...params, decision: 'approve' }, 'secret-secret-secret', new Date(999_000)),
    ).toThrow(/signature does not match/);
    expect(() => verifyLink(params, 'secret-secret-secret', new Date(1_001_000))).toThrow(/expired/);
  });

  it('GET only shows a confirmation form; POST resumes the execution; a late answer is told it is too late', async () => {
    // Prepare
    const sent: string[] = [];
    let timedOut = false;
    const callbacks = {
      succeed: async (token: string) => {
        if (timedOut) throw Object.assign(new Error('Task Timed Out'), { name: 'TaskTimedOut' });
        sent.push(`success ${token}`);
      },
      fail: async (token: string, error: string) => void sent.push(`failure ${token} ${error}`),
    };
    const { approveUrl } = approvalLinks(
      'https://x.example/approval',
      'secret-secret-secret',
      'tok',
      2_000_000_000,
    );
    const params = Object.fromEntries(new URL(approveUrl).searchParams);
    const deps = { callbacks, secret: 'secret-secret-secret', clock };
    // Act
    const get = await decide({ method: 'GET', params, sourceIp: null }, deps);
    const post = await decide({ method: 'POST', params, sourceIp: '192.0.2.1' }, deps);
    timedOut = true;
    const late = await decide({ method: 'POST', params, sourceIp: null }, deps);
    const forged = await decide({ method: 'POST', params: { ...params, sig: 'x' }, sourceIp: null }, deps);
    // Assess
    expect(get.statusCode).toBe(200);
    expect(get.body).toContain('<form method="post">');
    expect(post.statusCode).toBe(200);
    expect(sent).toEqual(['success tok']);
    expect(late.statusCode).toBe(410);
    expect(forged.statusCode).toBe(403);
  });
});

describe('reachability: probes never leave loopback where that is enforced', () => {
  it('refuses a private-IP target without opening a connection', async () => {
    // Prepare
    const attempts: string[] = [];
    const probes: ProbePort = {
      tcp: async (address, port) => {
        attempts.push(`${address}:${port}`);
        return { port, ssh: true, tcp: 'open', banner: 'SSH-2.0-x', latencyMs: 1 };
      },
      http: async (url) => {
        attempts.push(url);
        return { url, status: 200, ok: true, latencyMs: 1, error: null };
      },
    };
    // Act
    const branch = await gatherReachability(instanceCase(), { probes, timeoutMs: 100, loopbackOnly: true });
    // Assess
    expect(attempts).toEqual([]);
    expect(branch.ok).toBe(false);
    expect(branch.error).toMatch(/UnsafeProbeTargetError: refusing to probe 10\.0\.0\.5/);
  });
});
