/**
 * Where medic acts for an alarm: in the alarm's own account and region. Pure: the caller knows the
 * central deployment's account and the member settings; this decides whether the alarm's account is
 * the central one (the functions' own credentials), a member reached through its execution role, or
 * an account medic must not touch (not in the allow-list, or no account id medic could trust).
 *
 * An alarm from a member account is never handled with the central account's credentials: an
 * instance id is only unique within its account and region, so the same id in the central account
 * may well be a different machine.
 */

export interface AccountSettings {
  /** The account the central deployment runs in (its functions' own credentials reach it). */
  centralAccount: string;
  /** The central deployment's region: an alarm without one is taken to be from here. */
  centralRegion: string;
  /** The execution role each member account deploys (member stack), by name. */
  memberRoleName: string;
  /** When set, only these member accounts are reached; any other is "not configured". */
  memberAccounts: readonly string[] | null;
}

export type Where =
  | { kind: 'central'; account: string; region: string }
  | { kind: 'member'; account: string; region: string; roleArn: string }
  | { kind: 'not-configured'; account: string; region: string; why: string };

const ACCOUNT_ID = /^\d{12}$/;
// Region names as AWS spells them (us-east-1, eu-central-2, us-gov-west-1, cn-north-1, us-isob-east-1).
const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;

/**
 * The partition a region belongs to: an ARN in the wrong partition names a role that does not exist
 * (arn:aws:iam::… is not valid in China or GovCloud).
 */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  if (region.startsWith('us-isob-')) return 'aws-iso-b';
  if (region.startsWith('us-iso-')) return 'aws-iso';
  if (region.startsWith('eu-isoe-')) return 'aws-iso-e';
  if (region.startsWith('us-isof-')) return 'aws-iso-f';
  return 'aws';
}

export function memberRoleArn(partition: string, account: string, roleName: string): string {
  return `arn:${partition}:iam::${account}:role/${roleName}`;
}

/**
 * STS RoleSessionName: 2–64 characters of [\w+=,.@-]. It names the incident in the member
 * account's CloudTrail, so whoever reads that trail sees which incident made the call.
 */
export function roleSessionName(incidentId: string): string {
  const clean = `medic-${incidentId}`.replace(/[^\w+=,.@-]/g, '-');
  return clean.slice(0, 64);
}

/** The account and region an alarm's case lives in, and how medic reaches it. */
export function whereToAct(
  from: { account?: string | null | undefined; region?: string | null | undefined },
  s: AccountSettings,
): Where {
  // No central account configured: a single-account deployment, the alarm's account is its own.
  const central = s.centralAccount || from.account || '';
  const account = from.account || central;
  const region = from.region || s.centralRegion;
  if (!REGION.test(region))
    return { kind: 'not-configured', account, region, why: `"${region}" is not an AWS region name` };
  if (account === central) return { kind: 'central', account, region };
  if (!ACCOUNT_ID.test(account))
    return { kind: 'not-configured', account, region, why: `"${account}" is not an AWS account id` };
  if (s.memberAccounts && !s.memberAccounts.includes(account))
    return {
      kind: 'not-configured',
      account,
      region,
      why: `account ${account} is not one of the member accounts this deployment serves (MEDIC_MEMBER_ACCOUNTS)`,
    };
  return {
    kind: 'member',
    account,
    region,
    roleArn: memberRoleArn(partitionOf(region), account, s.memberRoleName),
  };
}
