/**
 * Failover rung, by the instance's configuration (tags, SPEC §7), first that applies:
 *   target group (medic:target-group + medic:standby): register the standby, poll until it is
 *     healthy, only then deregister the sick instance — the group never has zero healthy targets;
 *   Route 53 (medic:route53 = ZONEID/record.name + medic:standby): UPSERT the A record to the standby;
 *   Elastic IP (associated with the instance + medic:standby): re-associate it to the standby;
 *   Auto Scaling (aws:autoscaling:groupName): SetInstanceHealth Unhealthy, only when another
 *     InService instance is healthy.
 * Verify then probes the standby (or the healthy peer) — the host that now serves.
 */
import { type InstanceCase, LADDER_DEFAULTS, NO_FAILOVER, type Target } from '../domain/model.ts';
import { targetFromInstance } from '../domain/target.ts';
import type { Clock } from '../domain/timeline.ts';
import type {
  AutoScalingHealthPort,
  DnsPort,
  Ec2ActionsPort,
  Ec2Port,
  NotifierPort,
  TargetGroupPort,
} from '../ports.ts';
import { announce, dryRunDone, handToVerify, modeOf, nextRung, note, recordAction } from './ladder.ts';

export interface FailoverDeps {
  ec2: Pick<Ec2Port, 'describeInstances'> & Pick<Ec2ActionsPort, 'elasticIpOf' | 'associateElasticIp'>;
  targetGroups: TargetGroupPort;
  dns: DnsPort;
  autoScaling: AutoScalingHealthPort;
  notifier: NotifierPort;
  clock: Clock;
  defaultPorts: number[];
}

type Mechanism = 'target-group' | 'route53' | 'elastic-ip' | 'auto-scaling';

async function standbyOf(deps: FailoverDeps, id: string | null): Promise<Target | null> {
  if (!id) return null;
  const [info] = await deps.ec2.describeInstances([id]);
  return info ? targetFromInstance(info, deps.defaultPorts) : null;
}

export async function failover(c: InstanceCase, deps: FailoverDeps): Promise<InstanceCase> {
  const { clock } = deps;
  const id = c.target.instanceId;
  const cfg = c.target.failover ?? NO_FAILOVER;
  const pending = c.pending?.kind === 'failover' ? c.pending : null;
  const fail = (why: string, at?: string) =>
    nextRung(
      recordAction(c, clock, 'failover', 'failed', `failover of ${id} not done: ${why}; escalating`, at),
    );

  if (pending?.mechanism === 'target-group') return pollTargetGroup(c, deps, fail);

  await announce(c, deps.notifier, 'failover');
  const eip = cfg.standby ? await deps.ec2.elasticIpOf(id) : null;
  const mechanism: Mechanism | null =
    cfg.standby && cfg.targetGroupArn
      ? 'target-group'
      : cfg.standby && cfg.route53
        ? 'route53'
        : cfg.standby && eip
          ? 'elastic-ip'
          : cfg.autoScalingGroup
            ? 'auto-scaling'
            : null;
  if (!mechanism) {
    return fail(
      'no failover is configured (medic:standby with medic:target-group, medic:route53 or an Elastic IP; or an Auto Scaling group)',
    );
  }
  const standby = await standbyOf(deps, cfg.standby);
  if (cfg.standby && mechanism !== 'auto-scaling' && standby?.state !== 'running') {
    return fail(`standby ${cfg.standby} is ${standby?.state ?? 'missing'}, not running`);
  }
  const dry = modeOf(c, 'failover') === 'dry-run';
  const at = clock().toISOString();
  const standbyName = standby
    ? standby.name
      ? `${standby.name} (${standby.instanceId})`
      : standby.instanceId
    : '';

  if (mechanism === 'target-group') {
    const arn = cfg.targetGroupArn ?? '';
    const health = await deps.targetGroups.health(arn);
    if (dry) {
      return dryRunDone(
        c,
        clock,
        'failover',
        `dry run: would have registered standby ${standbyName} in ${arn} and deregistered ${id} once it is healthy (targets now: ${describeHealth(health)})`,
      );
    }
    await deps.targetGroups.register(arn, standby?.instanceId ?? '');
    const k = note(
      c,
      clock,
      'Failover',
      `registered standby ${standbyName} in target group ${arn}: waiting for healthy`,
      'action',
    );
    return {
      ...k,
      pending: {
        kind: 'failover',
        mechanism,
        phase: 'registering',
        startedAt: at,
        pollsLeft: c.settings.actionPolls ?? LADDER_DEFAULTS.actionPolls,
      },
      next: 'poll',
    };
  }

  if (mechanism === 'route53') {
    const [zoneId, recordName] = (cfg.route53 ?? '').split('/', 2);
    const address = standby?.privateIp;
    if (!zoneId || !recordName || !address)
      return fail(
        `medic:route53 must be ZONEID/record.name and the standby needs an IP (got "${cfg.route53}")`,
      );
    if (dry) {
      return dryRunDone(
        c,
        clock,
        'failover',
        `dry run: would have UPSERTed ${recordName} A ${address} (standby ${standbyName}) in ${zoneId}`,
      );
    }
    const change = await deps.dns.upsertA(zoneId, recordName, address);
    return handToVerify(
      recordAction(
        c,
        clock,
        'failover',
        'succeeded',
        `Route 53: UPSERT ${recordName} A → ${address} (standby ${standbyName}; change ${change})`,
        at,
      ),
      at,
      standby?.probe ?? null,
    );
  }

  if (mechanism === 'elastic-ip' && eip) {
    await deps.ec2.associateElasticIp(eip.allocationId, standby?.instanceId ?? '', { dryRun: dry });
    if (dry) {
      return dryRunDone(
        c,
        clock,
        'failover',
        `dry run: would have moved Elastic IP ${eip.publicIp} to standby ${standbyName} (EC2 DryRun confirmed permission)`,
      );
    }
    return handToVerify(
      recordAction(
        c,
        clock,
        'failover',
        'succeeded',
        `Elastic IP ${eip.publicIp} (${eip.allocationId}) re-associated from ${id} to standby ${standbyName}`,
        at,
      ),
      at,
      standby?.probe ?? null,
    );
  }

  // Auto Scaling: never leave the group with zero healthy instances.
  const group = cfg.autoScalingGroup ?? '';
  const peers = await deps.autoScaling.healthyPeers(group, id);
  if (peers.length === 0) {
    return fail(
      `${id} is the only healthy InService instance of ${group}: marking it Unhealthy would leave none`,
    );
  }
  const verifyOn = standby ?? (await standbyOf(deps, peers[0] ?? null));
  if (dry) {
    return dryRunDone(
      c,
      clock,
      'failover',
      `dry run: would have marked ${id} Unhealthy in ${group} (healthy peers: ${peers.join(', ')})`,
    );
  }
  await deps.autoScaling.setUnhealthy(id);
  return handToVerify(
    recordAction(
      c,
      clock,
      'failover',
      'succeeded',
      `Auto Scaling: marked ${id} Unhealthy in ${group} so the group replaces it (healthy peers: ${peers.join(', ')})`,
      at,
    ),
    at,
    verifyOn?.probe ?? null,
  );
}

function describeHealth(health: Record<string, string>): string {
  return (
    Object.entries(health)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ') || 'none'
  );
}

async function pollTargetGroup(
  c: InstanceCase,
  deps: FailoverDeps,
  fail: (why: string, at?: string) => InstanceCase,
): Promise<InstanceCase> {
  const pending = c.pending;
  if (!pending) return c;
  const id = c.target.instanceId;
  const arn = c.target.failover?.targetGroupArn ?? '';
  const standbyId = c.target.failover?.standby ?? '';
  const health = await deps.targetGroups.health(arn);
  if (health[standbyId] === 'healthy') {
    // Only now, with a healthy standby serving, does the sick instance leave the group.
    if (id in health) await deps.targetGroups.deregister(arn, id);
    const standby = await standbyOf(deps, standbyId);
    const k = recordAction(
      c,
      deps.clock,
      'failover',
      'succeeded',
      `target group ${arn}: standby ${standbyId} healthy, ${id} deregistered`,
      pending.startedAt,
    );
    return handToVerify(k, pending.startedAt, standby?.probe ?? null);
  }
  const pollsLeft = pending.pollsLeft - 1;
  if (pollsLeft <= 0) {
    return fail(
      `standby ${standbyId} did not turn healthy within ${c.settings.actionPolls ?? LADDER_DEFAULTS.actionPolls} polls (${describeHealth(health)}); ${id} left in the group`,
      pending.startedAt,
    );
  }
  return { ...c, pending: { ...pending, pollsLeft }, next: 'poll' };
}
