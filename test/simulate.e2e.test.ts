/**
 * End to end: `medic simulate` as a user runs it, against a real moto server and the local Jira,
 * with the real ASL and handlers. No SDK mocks: what is asserted is what moto, Jira and the
 * stakeholders' inbox actually received.
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { adfProblems } from './support/adf.ts';
import { TICKET_SECTIONS } from './support/incident.ts';
import { inboxMessages, runMedic, useSubstrate } from './support/substrate.ts';

const s = useSubstrate({ resetEachTest: true });

async function simulateJson(args: string[]) {
  const run = await runMedic(['simulate', ...args, '--json'], s.env);
  expect(run.stderr, run.stderr).not.toMatch(/at .*\.ts:\d+/);
  return { run, result: JSON.parse(run.stdout) };
}

describe('medic simulate --scenario unreachable', () => {
  it('notifies, gathers evidence, reboots, verifies recovery and files a Jira ticket with the timeline', async () => {
    // Act
    const { run, result } = await simulateJson(['--scenario', 'unreachable']);

    // Assess: the JSON document
    expect(run.code).toBe(0);
    expect(result).toMatchObject({
      classification: 'os',
      outcome: 'resolved',
      ticket: { key: expect.stringMatching(/^OPS-\d+$/) },
    });
    expect(result.targets).toHaveLength(1);
    const [instanceId] = result.targets;
    expect(
      result.actions.map((a: { kind: string; instanceId: string; outcome: string }) => [
        a.kind,
        a.instanceId,
        a.outcome,
      ]),
    ).toEqual([['reboot', instanceId, 'recovered']]);
    const kinds = result.timeline.map((e: { kind: string }) => e.kind);
    for (const kind of ['alarm', 'ack', 'evidence', 'decision', 'action', 'verify'])
      expect(kinds).toContain(kind);
    const times = result.timeline.map((e: { at: string }) => e.at);
    expect([...times].sort()).toEqual(times);

    // Assess: the reboot reached moto, for that instance only
    const reboots = (await s.moto.calls()).filter((c) => c.action === 'RebootInstances');
    expect(reboots.map((c) => c.params['InstanceId.1'])).toEqual([instanceId]);

    // Assess: verification saw the host come back only after the reboot
    const verifies = result.timeline.filter((e: { kind: string }) => e.kind === 'verify');
    expect(verifies.at(-1).summary).toMatch(/^recovered: reboot at /);
    expect(verifies.at(-1).summary).toMatch(/SSH-2\.0-/);

    // Assess: the stakeholders heard it open and resolve
    const messages = await inboxMessages(s.moto.endpoint);
    expect(messages.map((m) => m.subject)).toEqual([
      // The alarm's account is in every subject (one medic serves the organization).
      '[medic] OPENED: web-1 @123456789012 - web-1 status check failed',
      expect.stringMatching(/^\[medic\] ACTION: reboot web-1 .*\(rung 1 of 4\)$/),
      expect.stringMatching(/^\[medic\] RESOLVED: web-1 @123456789012 - reboot fixed it in \d+ s$/),
    ]);
    expect(messages[2]?.attributes).toMatchObject({
      outcome: 'resolved',
      incident: result.incidentId,
      instance: instanceId,
      severity: 'medium',
      classification: 'os',
    });
    expect(messages[2]?.body).toContain(result.ticket.key);

    // Assess: the Jira issue exists, labelled with the episode key, with the timeline table
    const issue = s.jira.issues().find((i) => i.key === result.ticket.key);
    expect(issue?.fields.labels).toEqual(expect.arrayContaining(['medic', result.incidentId, 'os']));
    expect(issue?.fields.summary).toMatch(
      /^\[medic\] resolved: web-1 \(i-[0-9a-f]+\) in account 123456789012 us-east-1 — web-1 status check failed$/,
    );
    const description = JSON.stringify(issue?.fields.description);
    expect(adfProblems(issue?.fields.description)).toEqual([]);
    type Node = { type: string; text?: string; content?: Node[] };
    const textOf = (n: Node): string => (n.text ?? '') + (n.content ?? []).map(textOf).join('');
    const content = (issue?.fields.description as { content?: Node[] } | undefined)?.content ?? [];
    expect(content.filter((n) => n.type === 'heading').map(textOf)).toEqual(TICKET_SECTIONS);
    expect(description).toContain('ICMP ping is not possible from AWS Lambda');
    expect(description).toContain('Starting hypothesis: ');
    // The timeline table is the run's timeline, row for row (the ticket note comes after it)
    const timelineAt = content.findIndex((n) => n.type === 'heading' && textOf(n) === 'Timeline');
    const rows = (content.slice(timelineAt).find((n) => n.type === 'table')?.content ?? []).map((r) =>
      (r.content ?? []).map(textOf),
    );
    const filedAt = result.timeline.findIndex((e: { summary: string }) =>
      /^filed Jira ticket/.test(e.summary),
    );
    const entries = result.timeline.slice(0, filedAt);
    const expected = entries.map((e: { at: string; kind: string; summary: string; instanceId?: string }) => [
      e.at,
      e.kind,
      e.instanceId ? `${e.instanceId}: ${e.summary}` : e.summary,
    ]);
    const shown = rows.slice(1).map((r) => [r[0], r[2], r[3]]);
    // A ticket over Jira's size keeps the first and last entries and names the attachment for the rest.
    const gap = shown.findIndex((r) => / entries omitted here: see medic-evidence-/.test(r[2] ?? ''));
    if (gap < 0) expect(shown).toEqual(expected);
    else {
      const tail = shown.length - gap - 1;
      expect(shown.slice(0, gap)).toEqual(expected.slice(0, gap));
      expect(shown.slice(gap + 1)).toEqual(expected.slice(-tail));
      expect(shown[gap]?.[2]).toMatch(new RegExp(`^${expected.length - gap - tail} entries omitted`));
    }
    expect(result.timeline[filedAt].summary).toMatch(
      new RegExp(`^filed Jira ticket ${result.ticket.key} \\(cloud`),
    );
    // Then the post-incident review, in the local Confluence simulate started beside the local Jira.
    const afterTicket = result.timeline.slice(filedAt + 1).map((e: { summary: string }) => e.summary);
    expect(
      afterTicket.some((s: string) => /^wrote the post-incident review http:\/\/127\.0\.0\.1:/.test(s)),
    ).toBe(true);
    expect(result.statusPage).toEqual({ incidentId: expect.any(String), status: 'resolved' });

    // Assess: metrics (EMF) once per run, and the HTML report
    // The incident by classification and outcome, its timings, the incident by account and region,
    // and the fix record (attempts and verified fixes of the rung).
    expect(result.metrics).toHaveLength(4);
    expect(result.metrics[0]).toMatchObject({ classification: 'os', outcome: 'resolved', Incidents: 1 });
    expect(result.metrics[1]).toMatchObject({ ActionsPerIncident: 1, GuardHolds: 0 });
    expect(result.metrics[1].TimeToMitigate).toBeGreaterThan(0);
    expect(result.metrics).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ account: '123456789012', region: 'us-east-1', Incidents: 1 }),
        expect.objectContaining({ FixAttempts: 1, FixVerified: 1 }),
      ]),
    );
    expect(result.report).toMatch(/\.html$/);
  });
});

describe('medic simulate on Jira Data Center (JIRA_DEPLOYMENT=data-center)', () => {
  it('files the same ticket through REST v2 in wiki markup, one timeline row per entry', async () => {
    // Act
    const run = await runMedic(['simulate', '--scenario', 'unreachable', '--json'], {
      ...s.env,
      JIRA_DEPLOYMENT: 'data-center',
    });

    // Assess
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout);
    const issue = s.jira.issues().find((i) => i.key === result.ticket.key);
    const wiki = issue?.fields.description as unknown as string;
    expect(typeof wiki).toBe('string');
    expect([...wiki.matchAll(/^h2\. (.*)$/gm)].map((m) => m[1])).toEqual(TICKET_SECTIONS);
    const timelineBlock = wiki.split('h2. Timeline')[1]?.split('h2. ')[0] ?? '';
    const rows = timelineBlock.split('\n').filter((l) => l.startsWith('|') && !l.startsWith('||'));
    // The ticket holds every entry before the note that it was filed (the review's note comes after).
    const filed = result.timeline.findIndex((e: { summary: string }) => /^filed Jira ticket/.test(e.summary));
    expect(rows.map((r) => r.split('|')[1])).toEqual(
      result.timeline.slice(0, filed).map((e: { at: string }) => e.at),
    );
    const paths = s.jira
      .requests()
      .filter((r) => r.at >= (result.timeline[0]?.at ?? ''))
      .map((r) => r.path);
    expect(paths.length).toBeGreaterThan(0);
    expect(paths.every((p) => p.startsWith('/rest/api/2/'))).toBe(true);
  });
});

describe('medic simulate: other paths of the walking skeleton', () => {
  it('an instance that is not opted in gets evidence, a page and a ticket, and is never rebooted', async () => {
    // Act
    const { run, result } = await simulateJson(['--scenario', 'not-opted-in']);
    // Assess
    expect(run.code).toBe(0);
    expect(result.outcome).toBe('held');
    expect(result.actions.map((a: { kind: string; outcome: string }) => [a.kind, a.outcome])).toEqual([
      ['reboot', 'held'],
      ['page', 'paged'],
    ]);
    expect((await s.moto.calls()).filter((c) => /Reboot|Stop|Start|Terminate/.test(c.action))).toEqual([]);
    const subjects = (await inboxMessages(s.moto.endpoint)).map((m) => m.subject);
    expect(subjects.some((x) => x.startsWith('[medic] PAGE: db-1'))).toBe(true);
    expect(subjects).toContain('[medic] HELD: db-1 @123456789012 - medic may not act, a person must');
    const issue = s.jira.issues().find((i) => i.key === result.ticket.key);
    expect(issue?.fields.priority.name).toBe('High');
    expect(JSON.stringify(issue?.fields.description)).toContain('Opt-in: some instances are not opted in');
    expect(result.metrics[1]).toMatchObject({ GuardHolds: 1, ActionsPerIncident: 0 });
  });

  it('an alarm whose host answers again is closed as self-recovered with no action', async () => {
    // Act
    const { result } = await simulateJson(['--scenario', 'healthy']);
    // Assess
    expect(result).toMatchObject({ classification: 'transient', outcome: 'self-recovered', actions: [] });
    expect((await s.moto.calls()).some((c) => c.action === 'RebootInstances')).toBe(false);
  });

  it('when the reboot does not help, medic verifies, walks down the ladder and pages', async () => {
    // Act: two verified rungs now (reboot, stop/start); polls shortened by configuration
    const run = await runMedic(['simulate', '--scenario', 'reboot-does-not-help', '--json'], {
      ...s.env,
      MEDIC_VERIFY_POLLS: '3',
    });
    const result = JSON.parse(run.stdout);
    // Assess
    expect(result.outcome).toBe('escalated');
    expect(result.actions.map((a: { kind: string; outcome: string }) => [a.kind, a.outcome])).toEqual([
      ['reboot', 'not-recovered'],
      ['stop-start', 'not-recovered'],
      ['failover', 'failed'],
      ['page', 'paged'],
    ]);
    const verifies = result.timeline.filter((e: { kind: string }) => e.kind === 'verify');
    expect(verifies.length).toBe(2 * 3); // MEDIC_VERIFY_POLLS per verified rung: bounded
  });
});

describe('medic simulate --event FILE', () => {
  it('runs a manual input against the instances the endpoint already holds', async () => {
    // Prepare: seed an instance through a scenario run, then start a manual run for it
    const seeded = await simulateJson(['--scenario', 'healthy']);
    const file = join(tmpdir(), `medic-manual-${Date.now()}.json`);
    writeFileSync(
      file,
      JSON.stringify({
        instanceId: seeded.result.targets[0],
        reason: 'customer reports timeouts',
        requestedBy: 'alice',
        mode: 'dry-run',
      }),
    );
    // Act
    const { run, result } = await simulateJson(['--event', file]);
    // Assess: the fake host is gone, so the probes fail; dry-run means no real reboot reached moto
    expect(run.code).toBe(0);
    expect(result.incidentId).toMatch(/^manual-/);
    expect(result.targets).toEqual(seeded.result.targets);
    const reboots = (await s.moto.calls()).filter((c) => c.action === 'RebootInstances');
    expect(reboots.every((c) => c.params.DryRun === 'true')).toBe(true);
  });

  it.each([
    [
      'an unreadable file',
      ['--event', '/nonexistent/medic.json'],
      /^medic: InvalidTriggerError: cannot read event file/,
    ],
    [
      'a file that is not JSON',
      ['--event', 'NOT_JSON'],
      /^medic: InvalidTriggerError: event file .* is not JSON/,
    ],
    [
      'an event of another type',
      ['--event', 'EC2_EVENT'],
      /^medic: UnsupportedEventError: unsupported event: source "aws\.ec2"/,
    ],
    [
      'an alarm without any instance',
      ['--event', 'NO_TARGET'],
      /^medic: NoTargetError: alarm "lb-5xx" has no InstanceId/,
    ],
    [
      'an instance that does not exist',
      ['--event', 'GHOST'],
      /^medic: InstanceNotFoundError: instance not found: i-0000000000000dead/,
    ],
  ])('rejects %s with one clear line, exit 2, and starts nothing', async (_what, args, message) => {
    // Prepare
    const dir = tmpdir();
    const files: Record<string, string> = {
      NOT_JSON: '{"detail-type": ',
      EC2_EVENT: JSON.stringify({
        source: 'aws.ec2',
        'detail-type': 'EC2 Instance State-change Notification',
        detail: {},
      }),
      NO_TARGET: JSON.stringify({
        source: 'aws.cloudwatch',
        'detail-type': 'CloudWatch Alarm State Change',
        detail: {
          alarmName: 'lb-5xx',
          state: { value: 'ALARM', reason: 'x', timestamp: '2026-01-01T00:00:00.000+0000' },
          configuration: {
            metrics: [
              {
                id: 'm1',
                metricStat: {
                  metric: {
                    namespace: 'AWS/ApplicationELB',
                    name: 'HTTPCode_ELB_5XX_Count',
                    dimensions: { LoadBalancer: 'app/x/1' },
                  },
                },
              },
            ],
          },
        },
      }),
      GHOST: JSON.stringify({ instanceId: 'i-0000000000000dead', reason: 'x', requestedBy: 'bob' }),
    };
    const resolved = args.map((a) => {
      const content = files[a];
      if (!content) return a;
      const path = join(dir, `medic-bad-${a}-${Date.now()}.json`);
      writeFileSync(path, content);
      return path;
    });
    const ticketsBefore = s.jira.issues().length;
    // Act
    const run = await runMedic(['simulate', ...resolved, '--json'], s.env);
    // Assess
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr.trim()).toMatch(message);
    expect(s.jira.issues().length).toBe(ticketsBefore);
    expect((await s.moto.calls()).some((c) => c.action === 'Publish')).toBe(false);
  });

  it('refuses a non-loopback AWS endpoint before doing anything', async () => {
    // Act
    const run = await runMedic(['simulate', '--scenario', 'unreachable', '--json'], {
      ...s.env,
      AWS_ENDPOINT_URL: 'http://10.1.2.3:4566',
    });
    // Assess
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toMatch(
      /^medic: UnsafeEndpointError: AWS_ENDPOINT_URL=http:\/\/10\.1\.2\.3:4566 is not a loopback address/,
    );
  });
});

describe('medic simulate: never act on a blind observer', () => {
  /** Every call that would change an instance or move its traffic, as it reached moto. */
  const MUTATING =
    /^(RebootInstances|StopInstances|StartInstances|TerminateInstances|AssociateAddress|RegisterTargets|DeregisterTargets|ChangeResourceRecordSets|SetInstanceHealth)$/;
  async function mutatingCalls() {
    return (await s.moto.calls()).filter(
      (c) =>
        (MUTATING.test(c.action) && c.params.DryRun !== 'true') ||
        (c.action === 'SendCommand' && JSON.stringify(c.params).includes('systemctl restart')),
    );
  }

  it('probe-path-blocked: a healthy host medic cannot reach gets a page and a ticket, no action', async () => {
    // Act
    const { run, result } = await simulateJson(['--scenario', 'probe-path-blocked']);
    // Assess
    expect(run.code).toBe(0);
    expect(result).toMatchObject({ classification: 'blind-observer', ticket: { key: expect.any(String) } });
    expect(result.actions.map((a: { kind: string; outcome: string }) => [a.kind, a.outcome])).toEqual([
      ['page', 'paged'],
    ]);
    expect(await mutatingCalls()).toEqual([]);
    const decision = result.timeline.find((e: { kind: string }) => e.kind === 'decision')?.summary ?? '';
    expect(decision).toMatch(/classified blind-observer/);
    expect(decision).toMatch(/the SSM agent is online/);
    expect(decision).toMatch(/security group allows inbound TCP \d+ from the probe security group/);
    const subjects = (await inboxMessages(s.moto.endpoint)).map((m) => m.subject);
    expect(subjects.some((x) => x.startsWith('[medic] PAGE: api-2') && x.includes('blind-observer'))).toBe(
      true,
    );
    const issue = s.jira.issues().find((i) => i.key === result.ticket.key);
    expect(issue?.fields.labels).toContain('blind-observer');
  }, 180_000);

  it('network-partition keeps its classification: a cut-off host loses its agents too', async () => {
    // Act
    const { result } = await simulateJson(['--scenario', 'network-partition']);
    // Assess
    expect(result.classification).toBe('network');
  }, 180_000);

  it('the control probe itself is unreachable: the vantage is blind, medic pages and does nothing', async () => {
    // Prepare: a loopback port that was just freed, so nothing answers there
    const { createServer } = await import('node:net');
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    await new Promise((r) => server.close(r));
    // Act: a host that would otherwise be rebooted (hung: TCP accepted, no SSH banner)
    const run = await runMedic(['simulate', '--scenario', 'unreachable', '--json'], {
      ...s.env,
      MEDIC_PROBE_CANARY: `127.0.0.1:${port}`,
    });
    const result = JSON.parse(run.stdout);
    // Assess
    expect(result.classification).toBe('blind-observer');
    expect(result.actions.map((a: { kind: string }) => a.kind)).toEqual(['page']);
    expect(await mutatingCalls()).toEqual([]);
    const evidence = result.timeline.map((e: { summary: string }) => e.summary).join('\n');
    expect(evidence).toContain(`control probe 127.0.0.1:${port} did not answer`);
  }, 180_000);
});
