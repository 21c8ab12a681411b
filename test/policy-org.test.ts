/**
 * Where an instance lives, for the bounds (shared/policy/org.ts): the key every per-instance bound
 * is stored under, by table. The central account keeps the bare id (items written before medic
 * served an organization keep their meaning); any other account or region is told apart.
 */
import { describe, expect, it } from 'vitest';
import {
  accountText,
  boundsKey,
  identityLabels,
  parseBoundsKey,
  whereOfAlarmArn,
} from '../shared/policy/org.ts';

const home = { account: '111111111111', region: 'eu-west-1' };

describe('bounds key', () => {
  it.each([
    [
      'the central account and region: the bare id',
      { account: '111111111111', region: 'eu-west-1' },
      home,
      'i-0abc',
    ],
    ['no account or region given: the central one', {}, home, 'i-0abc'],
    [
      'another account: account, region and id',
      { account: '222222222222', region: 'eu-west-1' },
      home,
      '222222222222/eu-west-1/i-0abc',
    ],
    [
      'the central account in another region: told apart too',
      { account: '111111111111', region: 'us-east-1' },
      home,
      '111111111111/us-east-1/i-0abc',
    ],
    [
      'a single-account deployment (no central account set): the bare id',
      { account: '222222222222', region: 'us-east-1' },
      {},
      'i-0abc',
    ],
  ] as [string, { account?: string; region?: string }, typeof home, string][])(
    '%s',
    (_rule, where, h, expected) => {
      // Act
      const key = boundsKey('i-0abc', where, h);
      // Assess
      expect(key).toBe(expected);
      expect(parseBoundsKey(key, h).instanceId).toBe('i-0abc');
    },
  );

  it('reads the account and region back from a key', () => {
    // Assess
    expect(parseBoundsKey('222222222222/us-east-1/i-0abc', home)).toEqual({
      account: '222222222222',
      region: 'us-east-1',
      instanceId: 'i-0abc',
    });
    expect(parseBoundsKey('i-0abc', home)).toEqual({ ...home, instanceId: 'i-0abc' });
  });
});

describe('identity', () => {
  it.each([
    ['arn:aws:cloudwatch:eu-west-1:222222222222:alarm:cpu', { account: '222222222222', region: 'eu-west-1' }],
    [
      'arn:aws-us-gov:cloudwatch:us-gov-west-1:222222222222:alarm:a:b',
      { account: '222222222222', region: 'us-gov-west-1' },
    ],
    ['arn:aws:sns:eu-west-1:222222222222:topic', {}],
    ['not an arn', {}],
  ])('where of alarm ARN %s', (arn, expected) => {
    // Assess
    expect(whereOfAlarmArn(arn)).toEqual(expected);
  });

  it('names an account by its id and, when known, its name; labels carry no spaces', () => {
    // Assess
    expect(accountText('222222222222', { '222222222222': 'payments-prod' })).toBe(
      '222222222222 (payments-prod)',
    );
    expect(accountText('333333333333', {})).toBe('333333333333');
    expect(identityLabels({ account: '222222222222', region: 'eu-west-1' })).toEqual([
      'account-222222222222',
      'region-eu-west-1',
    ]);
  });
});
