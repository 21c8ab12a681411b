/**
 * Zones are the account's own: AWS maps zone names to physical zones per account (us-east-1a of
 * one account is not us-east-1a of another; only AZ IDs such as use1-az1 agree), and AWS Health
 * names the zone, not its ID. So an AZ issue holds, and counts for the fleet guard, only in the
 * account it was reported for.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { healthSignal, scopeKey, scopesOfInstance } from '../shared/domain/health.ts';
import { awsRecoveringBound } from '../shared/policy/bounds.ts';
import { type FleetEntry, fleetVerdict, zoneKey, zonesToCheck } from '../shared/policy/fleet.ts';

const A = '111111111111';
const B = '222222222222';
const fixture = (name: string) =>
  JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')) as Record<string, unknown>;

describe('AWS Health: an AZ issue is keyed by account and zone', () => {
  it.each([
    ['the event account (a member account forwarding its own events)', {}, '123456789012'],
    ['the affected account, for an organizational view', { affectedAccount: A }, A],
  ])('%s', (_name, detail, account) => {
    // Prepare
    const event = fixture('health-operational-issue-az.json');
    Object.assign(event.detail as object, detail);
    // Act
    const signal = healthSignal(event, new Date('2026-11-27T09:00:00Z'));
    // Assess
    expect(signal.kind === 'issue' && signal.scopes.map(scopeKey)).toEqual([`AZ#${account}#us-east-1a`]);
  });

  it.each([
    ['the same account and zone: held', A, 'AZ#111111111111#us-east-1a', true],
    [
      'the same zone name in another account (another physical zone): not held',
      B,
      'AZ#111111111111#us-east-1a',
      false,
    ],
    ['no account known: only an unqualified key matches', null, 'AZ#us-east-1a', true],
  ] as const)('%s', (_name, account, issueKey, held) => {
    // Act
    const scopes = scopesOfInstance(
      { instanceId: 'i-0123456789abcdef0', availabilityZone: 'us-east-1a' },
      account,
    );
    // Assess
    expect(scopes.includes(issueKey)).toBe(held);
  });

  it('says which account the zone is in', () => {
    // Act
    const held = awsRecoveringBound('i-1', [
      { scope: `AZ#${A}#us-east-1a`, eventTypeCode: 'AWS_EC2_OPERATIONAL_ISSUE', since: 'T', summary: '' },
    ]);
    // Assess
    expect(held?.reason).toMatch(/^AWS is recovering zone us-east-1a of account 111111111111: /);
  });
});

describe('the fleet guard: a zone with an open AWS Health issue, per account', () => {
  const entry = (n: number, account: string, zone = 'us-east-1a'): FleetEntry => ({
    instanceId: `${account}/us-east-1/i-${n}`,
    account,
    availabilityZone: zone,
  });
  const issue = { eventTypeCode: 'AWS_EC2_OPERATIONAL_ISSUE', since: '2026-11-29T13:55:00Z' };
  const limits = { fleetMaxInstances: 50, fleetMaxGroupPercent: 50, fleetWindowMs: 600_000 };
  const ROWS: [name: string, entries: FleetEntry[], issues: Record<string, typeof issue>, storm: boolean][] =
    [
      [
        'two instances of the account in its zone with the issue: a storm',
        [entry(1, A), entry(2, A)],
        { [zoneKey(A, 'us-east-1a')]: issue },
        true,
      ],
      [
        'one each in two accounts under the same zone name: two physical zones, no storm',
        [entry(1, A), entry(2, B)],
        { [zoneKey(A, 'us-east-1a')]: issue },
        false,
      ],
      [
        'two in account B, the issue in account A: no storm',
        [entry(1, B), entry(2, B)],
        { [zoneKey(A, 'us-east-1a')]: issue },
        false,
      ],
    ];
  it.each(ROWS)('%s', (_name, entries, zoneIssues, storm) => {
    // Act
    const verdict = fleetVerdict({ entries, groups: [], groupSizes: {}, limits, zoneIssues });
    // Assess
    expect(verdict !== null).toBe(storm);
  });

  it('reads a zone only when two instances of the same account are in incidents there', () => {
    // Act / Assess
    expect(zonesToCheck([entry(1, A), entry(2, B)], ['us-east-1a'], A)).toEqual([]);
    expect(zonesToCheck([entry(1, A), entry(2, A)], ['us-east-1a'], A)).toEqual(['us-east-1a']);
  });
});
