/**
 * `medic alarms sync` in the alarm's own account and region. The standard alarms live where the
 * instance lives: an alarm cannot watch another account's or region's metric without extra
 * sharing, and its state change must reach medic from there (the member stack's rule forwards it
 * to the central bus). So each (account, region) is synced with clients built there, exactly as
 * the Lambdas build theirs (shared/aws-clients.ts): the central account with the operator's own
 * credentials, a member account through its member role, with the deployment's external id.
 *
 * Alarm actions: CloudWatch publishes an alarm action only to a topic of the alarm's own region,
 * and the alarms topic is the central stack's, in its region. So only the central account's home
 * region alarms carry it; everywhere else the state change reaches medic through EventBridge (the
 * member stack's forwarding rule, deployed in every region), and the alarm has no action at all.
 */
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { awsClients, type ClientConfig } from '../shared/aws-clients.ts';
import { type AlarmSpec, planAlarms, renderPlan, standardAlarms } from '../shared/domain/standard-alarms.ts';
import { CliUsageError } from '../shared/errors.ts';

export interface SyncTarget {
  account: string;
  region: string;
}

export interface SyncOptions {
  /** The operator's client settings (region of the central stack, profile). */
  client: { region?: string; profile?: string };
  targets: SyncTarget[] | null;
  centralAccount?: string | undefined;
  memberRoleName: string;
  externalId?: string | undefined;
  memberAccounts: string[] | null;
  /** The central alarms topic (home account and region only). */
  topic: () => Promise<string>;
  dryRun: boolean;
  who: string;
  out: (line: string) => void;
}

/** `a,b` lists from the command line or the environment, trimmed, empties dropped. */
export function listOption(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
}

/** Every configured account × region (`--all`): the central account first, then the members. */
export function everyTarget(central: string, members: string[], regions: string[]): SyncTarget[] {
  if (regions.length === 0)
    throw new CliUsageError('--all needs the regions: --regions a,b or MEDIC_REGIONS (comma-separated)');
  return [...new Set([central, ...members])].flatMap((account) =>
    regions.map((region) => ({ account, region })),
  );
}

/**
 * Syncs each target; one that cannot be reached (its member role cannot be assumed, or it is not a
 * configured member) is one line and exit code 1 at the end, never the end of the others.
 */
export async function syncAlarms(o: SyncOptions): Promise<number> {
  const homeRegion = o.client.region ?? process.env.AWS_REGION ?? 'us-east-1';
  const sts = new STSClient({ ...o.client, region: homeRegion });
  // Only an organization sync needs to know which account is the central one.
  const central = o.targets
    ? o.centralAccount || (await sts.send(new GetCallerIdentityCommand({}))).Account || ''
    : (o.centralAccount ?? '');
  const clients = awsClients({
    settings: async () => ({
      centralAccount: central,
      centralRegion: homeRegion,
      memberRoleName: o.memberRoleName,
      memberAccounts: o.memberAccounts,
    }),
    externalId: o.externalId,
    now: Date.now,
    assume: async (r) => {
      const answer = await sts.send(
        new AssumeRoleCommand({
          RoleArn: r.roleArn,
          RoleSessionName: r.sessionName,
          DurationSeconds: r.durationSeconds,
          ...(r.externalId ? { ExternalId: r.externalId } : {}),
        }),
      );
      const k = answer.Credentials;
      if (!k?.AccessKeyId || !k.SecretAccessKey) throw new Error('STS answered no credentials');
      return {
        accessKeyId: k.AccessKeyId,
        secretAccessKey: k.SecretAccessKey,
        sessionToken: k.SessionToken,
        expiration: k.Expiration,
      };
    },
  });
  const [{ CloudWatchClient }, { EC2Client }, { cloudWatchAlarms }, { managedFleet }] = await Promise.all([
    import('@aws-sdk/client-cloudwatch'),
    import('@aws-sdk/client-ec2'),
    import('../shared/adapters/cloudwatch-alarms.ts'),
    import('../shared/adapters/fleet.ts'),
  ]);
  const targets: { account?: string; region: string }[] = o.targets ?? [{ region: homeRegion }];
  // The member account's CloudTrail names the session: who synced.
  const session = `alarms-sync-${o.who}`;
  // Assumed-role keys for a member account; the operator's own chain (and profile) for the central one.
  const withProfile = (c: ClientConfig) => (c.credentials ? c : { ...o.client, ...c });
  let failed = 0;
  for (const t of targets) {
    const where = { account: t.account, region: t.region, incidentId: session };
    const home = (!t.account || t.account === central) && t.region === homeRegion;
    const name = t.account ? `account ${t.account} ${t.region}: ` : '';
    try {
      const ec2 = await clients.client('ec2', (c) => new EC2Client(withProfile(c)), where);
      const cloudwatch = await clients.client(
        'cloudwatch',
        (c) => new CloudWatchClient(withProfile(c)),
        where,
      );
      const topic = home ? await o.topic() : null;
      const fleet = await managedFleet(ec2);
      const cw = cloudWatchAlarms(cloudwatch);
      const desired = fleet.flatMap((i) =>
        standardAlarms(i, topic ?? 'none').map(
          (s): AlarmSpec => (topic ? s : { ...s, AlarmActions: [], OKActions: [] }),
        ),
      );
      const plan = planAlarms(desired, await cw.medicAlarms());
      o.out(
        `${name}${fleet.length} opted-in instance(s); alarm actions → ${topic ?? 'none (the member stack forwards alarm state changes to the central bus)'}`,
      );
      o.out(renderPlan(plan));
      if (o.dryRun) continue;
      for (const step of plan) if (step.op === 'create' || step.op === 'update') await cw.put(step.spec);
    } catch (error) {
      const e = error as Error;
      if (!['MemberAccountError', 'AwsTransientError'].includes(e.name)) throw error;
      failed++;
      o.out(`${name}not synced — ${e.message}`);
    }
  }
  o.out(o.dryRun ? '(dry run: nothing changed)' : 'applied.');
  return failed > 0 ? 1 : 0;
}
