// Where medic acts for an alarm (shared/policy/accounts.ts): the central account with its own
// credentials, a member through its role (partition-correct ARN), or nowhere.
import { describe, expect, it } from 'vitest';
import {
  type AccountSettings,
  memberRoleArn,
  partitionOf,
  roleSessionName,
  whereToAct,
} from '../shared/policy/accounts.ts';

const settings: AccountSettings = {
  centralAccount: '123456789012',
  centralRegion: 'eu-west-1',
  memberRoleName: 'medic-member',
  memberAccounts: null,
};

describe('whereToAct', () => {
  it.each([
    [
      'no account or region: the central one',
      {},
      { kind: 'central', account: '123456789012', region: 'eu-west-1' },
    ],
    [
      'the central account in another region',
      { account: '123456789012', region: 'us-east-2' },
      { kind: 'central', account: '123456789012', region: 'us-east-2' },
    ],
    [
      'a member account',
      { account: '222222222222', region: 'eu-central-1' },
      {
        kind: 'member',
        account: '222222222222',
        region: 'eu-central-1',
        roleArn: 'arn:aws:iam::222222222222:role/medic-member',
      },
    ],
    [
      'a member in China',
      { account: '222222222222', region: 'cn-north-1' },
      { kind: 'member', roleArn: 'arn:aws-cn:iam::222222222222:role/medic-member' },
    ],
    [
      'a member in GovCloud',
      { account: '222222222222', region: 'us-gov-west-1' },
      { kind: 'member', roleArn: 'arn:aws-us-gov:iam::222222222222:role/medic-member' },
    ],
    ['an account id that is not one', { account: '2222' }, { kind: 'not-configured', account: '2222' }],
    ['a region that is not one', { account: '222222222222', region: 'moon-1' }, { kind: 'not-configured' }],
  ])('%s', (_name, from, expected) => {
    // Act
    const where = whereToAct(from, settings);
    // Assess
    expect(where).toMatchObject(expected);
  });

  it('with an allow-list, an account outside it is not configured and one inside it is a member', () => {
    // Prepare
    const listed = { ...settings, memberAccounts: ['222222222222'] };
    // Act
    const outside = whereToAct({ account: '333333333333', region: 'eu-west-1' }, listed);
    const inside = whereToAct({ account: '222222222222', region: 'eu-west-1' }, listed);
    const central = whereToAct({ account: '123456789012', region: 'eu-west-1' }, listed);
    // Assess
    expect(outside).toMatchObject({
      kind: 'not-configured',
      why: expect.stringContaining('MEDIC_MEMBER_ACCOUNTS'),
    });
    expect(inside.kind).toBe('member');
    expect(central.kind).toBe('central');
  });
});

describe('ARNs and session names', () => {
  it('builds the role ARN in the region partition', () => {
    expect(memberRoleArn(partitionOf('us-isob-east-1'), '111111111111', 'x')).toBe(
      'arn:aws-iso-b:iam::111111111111:role/x',
    );
    expect(partitionOf('eu-west-1')).toBe('aws');
  });

  it('names the session after the incident within STS limits (2-64 of [\\w+=,.@-])', () => {
    // Act
    const long = roleSessionName(`medic-${'x'.repeat(100)}`);
    const odd = roleSessionName('ep:2026/11/29 ünïcode#1');
    // Assess
    expect(long).toHaveLength(64);
    expect(odd).toMatch(/^[\w+=,.@-]{2,64}$/);
    expect(odd.startsWith('medic-ep-2026-11-29')).toBe(true);
  });
});
