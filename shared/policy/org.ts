/**
 * Where an instance lives, for the bounds: one medic serves every account and region of the
 * organization, and instance ids are only unique inside one account and region. Every per-instance
 * bound (lock, cooldown, flap, budget, the fleet registry) is keyed by account + region + instance.
 *
 * The key of the central deployment's own account and region is the bare instance id, the key
 * medic always used: items written before medic served an organization keep their meaning (they
 * were the central account's), so nothing is migrated. Any other account or region gets
 * `<account>/<region>/<instance>` (no instance id contains a slash, so the two forms never meet).
 */

export interface Where {
  account?: string | null | undefined;
  region?: string | null | undefined;
}

/** The central deployment's own account and region (MEDIC_CENTRAL_ACCOUNT, AWS_REGION). */
export interface Home {
  /** Unset: a single-account deployment, every key is the bare instance id. */
  account?: string | undefined;
  region?: string | undefined;
}

/** The account and region a case acts in: its own, or the central deployment's when it has none. */
export function whereOf(where: Where, home: Home): { account: string | null; region: string | null } {
  return { account: where.account || home.account || null, region: where.region || home.region || null };
}

/** The key every per-instance bound is stored under. */
export function boundsKey(instanceId: string, where: Where, home: Home): string {
  if (!home.account) return instanceId;
  const w = whereOf(where, home);
  const sameRegion = !home.region || !w.region || w.region === home.region;
  if (w.account === home.account && sameRegion) return instanceId;
  return `${w.account}/${w.region ?? 'unknown-region'}/${instanceId}`;
}

/** The parts of a bounds key (a bare id is the central account's and region's). */
export function parseBoundsKey(
  key: string,
  home: Home,
): { account: string | null; region: string | null; instanceId: string } {
  const parts = key.split('/');
  if (parts.length === 3) {
    const [account = '', region = '', instanceId = ''] = parts;
    return { account, region, instanceId };
  }
  return { account: home.account ?? null, region: home.region ?? null, instanceId: key };
}

/** `123456789012 (payments-prod)` when the account's name is known (MEDIC_ACCOUNT_NAMES), else the id. */
export function accountText(account: string | null | undefined, names: Record<string, string>): string {
  if (!account) return 'the central account';
  const name = names[account];
  return name ? `${account} (${name})` : account;
}

/** Jira labels carrying the case's identity; a label may hold no space. */
export function identityLabels(where: { account: string | null; region: string | null }): string[] {
  return [
    ...(where.account ? [`account-${where.account}`] : []),
    ...(where.region ? [`region-${where.region}`] : []),
  ];
}

/** Account and region of an alarm ARN `arn:<partition>:cloudwatch:<region>:<account>:alarm:<name>`. */
export function whereOfAlarmArn(arn: string | null | undefined): { account?: string; region?: string } {
  const parts = (arn ?? '').split(':');
  if (parts.length < 7 || parts[0] !== 'arn' || parts[2] !== 'cloudwatch' || parts[5] !== 'alarm') return {};
  return {
    ...(/^\d{12}$/.test(parts[4] ?? '') ? { account: parts[4] } : {}),
    ...(parts[3] ? { region: parts[3] } : {}),
  };
}
