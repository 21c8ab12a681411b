/**
 * Failover rung. Every mechanism the instance is configured for (tags, SPEC §7) is a candidate, in
 * this order, and the next one is tried when one is refused (a missing prerequisite, AccessDenied
 * from IAM, a validation error) or fails; each attempt is on the timeline:
 *   target group (medic:target-group + medic:standby): register the standby, poll until it is
 *     healthy, only then deregister the sick instance — the group never has zero healthy targets;
 *   Route 53 (medic:route53 = ZONEID/record.name + medic:standby): read the zone and the record set,
 *     UPSERT it to the address its audience reaches (public IP for a public zone, private IP for a
 *     private one, or medic:route53-address), SetIdentifier and routing fields kept;
 *   Elastic IP (associated with the instance + medic:standby): re-associate it to the standby —
 *     both the address and the standby tagged medic:managed=true (the IAM condition reads both);
 *   Auto Scaling (aws:autoscaling:groupName): SetInstanceHealth Unhealthy — the group tagged
 *     medic:managed=true, and only when another InService instance is healthy.
 * Transient AWS errors are not a refusal: they propagate, and the state machine retries the Task.
 * Verify then probes the standby (or the healthy peer) — the host that now serves.
 */

import { failoverAddress, recordToRewrite } from '../domain/failover-dns.ts';
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
import { replaceInGroup } from './group-replace.ts';
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

export const MECHANISMS = ['target-group', 'route53', 'elastic-ip', 'auto-scaling'] as const;
type Mechanism = (typeof MECHANISMS)[number];
type Eip = Awaited<ReturnType<FailoverDeps['ec2']['elasticIpOf']>>;

/** An attempt either changed the case (done, in flight, or dry run) or was refused with a reason. */
type Attempt = { done: InstanceCase } | { refused: string };

const MANAGED = 'medic:managed';

async function standbyOf(
  deps: FailoverDeps,
  id: string | null,
): Promise<(Target & { publicIp: string | null }) | null> {
  if (!id) return null;
  const [info] = await deps.ec2.describeInstances([id]);
  return info ? { ...targetFromInstance(info, deps.defaultPorts), publicIp: info.publicIp ?? null } : null;
}

/** The mechanisms this instance is configured for, in order. */
function candidates(cfg: NonNullable<Target['failover']>, eip: Eip): Mechanism[] {
  return MECHANISMS.filter((m) =>
    m === 'target-group'
      ? Boolean(cfg.standby && cfg.targetGroupArn)
      : m === 'route53'
        ? Boolean(cfg.standby && cfg.route53)
        : m === 'elastic-ip'
          ? Boolean(cfg.standby && eip)
          : Boolean(cfg.autoScalingGroup),
  );
}

const nameOf = (t: Target | null) => (t ? (t.name ? `${t.name} (${t.instanceId})` : t.instanceId) : '');

export async function failover(c: InstanceCase, deps: FailoverDeps): Promise<InstanceCase> {
  const pending = c.pending?.kind === 'failover' ? c.pending : null;
  if (pending?.mechanism === 'target-group') return pollTargetGroup(c, deps);
  await announce(c, deps.notifier, 'failover');
  return tryMechanisms(c, deps, null, []);
}

/** Tries each configured mechanism after `after` until one is carried out; the rest is history. */
async function tryMechanisms(
  c: InstanceCase,
  deps: FailoverDeps,
  after: Mechanism | null,
  refusals: string[],
): Promise<InstanceCase> {
  const { clock } = deps;
  const id = c.target.instanceId;
  const cfg = c.target.failover ?? NO_FAILOVER;
  const eip = cfg.standby ? await deps.ec2.elasticIpOf(id) : null;
  const all = candidates(cfg, eip);
  if (all.length === 0) {
    return nextRung(
      recordAction(
        c,
        clock,
        'failover',
        'failed',
        `failover of ${id} not done: no failover is configured (medic:standby with medic:target-group, medic:route53 or an Elastic IP; or an Auto Scaling group); escalating`,
      ),
    );
  }
  const todo = after ? all.slice(all.indexOf(after) + 1) : all;
  let k: InstanceCase = { ...c, pending: null };
  const why = [...refusals];
  for (const mechanism of todo) {
    let attempt: Attempt;
    try {
      attempt = await attemptOne(k, deps, mechanism, eip);
    } catch (error) {
      const e = error as Error;
      if (e.name === 'AwsTransientError') throw error;
      attempt = { refused: `${e.name}: ${e.message}`.slice(0, 300) };
    }
    if ('done' in attempt) return attempt.done;
    why.push(`${mechanism}: ${attempt.refused}`);
    const rest = todo.slice(todo.indexOf(mechanism) + 1);
    k = note(
      k,
      clock,
      'Failover',
      `failover via ${mechanism} refused: ${attempt.refused}${rest.length ? `; trying ${rest[0]}` : ''}`,
      'action',
    );
  }
  return nextRung(
    recordAction(
      k,
      clock,
      'failover',
      'failed',
      `failover of ${id} not done: every configured mechanism was refused or failed (${why.join('; ')}); escalating`,
    ),
  );
}

async function attemptOne(
  c: InstanceCase,
  deps: FailoverDeps,
  mechanism: Mechanism,
  eip: Eip,
): Promise<Attempt> {
  const { clock } = deps;
  const id = c.target.instanceId;
  const cfg: NonNullable<Target['failover']> = c.target.failover ?? NO_FAILOVER;
  const dry = modeOf(c, 'failover') === 'dry-run';

  if (mechanism === 'auto-scaling') {
    const group = cfg.autoScalingGroup ?? '';
    const g = await deps.autoScaling.group(group, id);
    if (!g) return { refused: `Auto Scaling group ${group} not found` };
    if (!g.managed)
      return {
        refused: `Auto Scaling group ${group} is not tagged ${MANAGED}=true (IAM allows SetInstanceHealth only on opted-in groups)`,
      };
    if (g.healthyPeers.length === 0)
      return {
        refused: `${id} is the only healthy InService instance of ${group}: marking it Unhealthy would leave none`,
      };
    return { done: await replaceInGroup(c, 'failover', group, g.healthyPeers, deps) };
  }

  const standby = await standbyOf(deps, cfg.standby);
  if (standby?.state !== 'running')
    return { refused: `standby ${cfg.standby} is ${standby?.state ?? 'missing'}, not running` };
  const standbyName = nameOf(standby);
  const at = clock().toISOString();

  if (mechanism === 'target-group') {
    const arn = cfg.targetGroupArn ?? '';
    const health = await deps.targetGroups.health(arn);
    if (dry) {
      return {
        done: dryRunDone(
          c,
          clock,
          'failover',
          `dry run: would have registered standby ${standbyName} in ${arn} and deregistered ${id} once it is healthy (targets now: ${describeHealth(health)})`,
        ),
      };
    }
    await deps.targetGroups.register(arn, standby.instanceId);
    const k = note(
      c,
      clock,
      'Failover',
      `registered standby ${standbyName} in target group ${arn}: waiting for healthy`,
      'action',
    );
    return {
      done: {
        ...k,
        pending: {
          kind: 'failover',
          mechanism,
          phase: 'registering',
          startedAt: at,
          pollsLeft: c.settings.actionPolls ?? LADDER_DEFAULTS.actionPolls,
        },
        next: 'poll',
      },
    };
  }

  if (mechanism === 'route53') {
    const [zoneId = '', recordName = ''] = (cfg.route53 ?? '').split('/', 2);
    if (!zoneId || !recordName)
      return { refused: `medic:route53 must be ZONEID/record.name (got "${cfg.route53}")` };
    const zone = await deps.dns.zone(zoneId);
    const address = failoverAddress({
      privateZone: zone.privateZone,
      explicit: cfg.route53Address ?? null,
      standby: { privateIp: standby.privateIp, publicIp: standby.publicIp },
    });
    if (!address.ok) return { refused: address.why };
    const [sick] = await deps.ec2.describeInstances([id]);
    const sickAddresses = [sick?.privateIp, sick?.publicIp, c.target.privateIp].filter((x): x is string =>
      Boolean(x),
    );
    const chosen = recordToRewrite(await deps.dns.records(zoneId, recordName, 'A'), sickAddresses);
    if (!chosen.ok) return { refused: `${recordName} in ${zoneId}: ${chosen.why}` };
    const record = { ...chosen.value, values: [address.value] };
    const set = record.setIdentifier ? ` (set ${record.setIdentifier})` : '';
    if (dry) {
      return {
        done: dryRunDone(
          c,
          clock,
          'failover',
          `dry run: would have UPSERTed ${record.name}${set} A ${address.value} (standby ${standbyName}; ${address.why}) in ${zoneId}`,
        ),
      };
    }
    const change = await deps.dns.upsert(zoneId, record);
    return {
      done: handToVerify(
        recordAction(
          c,
          clock,
          'failover',
          'succeeded',
          `Route 53: UPSERT ${record.name}${set} A → ${address.value} (standby ${standbyName}; ${address.why}; change ${change})`,
          at,
        ),
        at,
        standby.probe,
      ),
    };
  }

  // Elastic IP: the IAM condition on AssociateAddress reads the tag of the address and of the
  // instance it moves to; without both, AWS answers UnauthorizedOperation.
  if (!eip) return { refused: `no Elastic IP is associated with ${id}` };
  if (eip.tags?.[MANAGED] !== 'true')
    return { refused: `Elastic IP ${eip.publicIp} (${eip.allocationId}) is not tagged ${MANAGED}=true` };
  if (!standby.managed) return { refused: `standby ${standbyName} is not tagged ${MANAGED}=true` };
  await deps.ec2.associateElasticIp(eip.allocationId, standby.instanceId, { dryRun: dry });
  if (dry) {
    return {
      done: dryRunDone(
        c,
        clock,
        'failover',
        `dry run: would have moved Elastic IP ${eip.publicIp} to standby ${standbyName} (EC2 DryRun confirmed permission)`,
      ),
    };
  }
  return {
    done: handToVerify(
      recordAction(
        c,
        clock,
        'failover',
        'succeeded',
        `Elastic IP ${eip.publicIp} (${eip.allocationId}) re-associated from ${id} to standby ${standbyName}`,
        at,
      ),
      at,
      standby.probe,
    ),
  };
}

/**
 * An earlier delivery of this step took the claim and its answer was lost or superseded: it may
 * have registered the standby in the target group and no one would deregister the sick instance.
 * Resume from what the target group shows — the standby registered: wait for it to be healthy, and
 * the normal poll deregisters the sick instance — without registering it again. Null when the
 * failover shows nowhere (the guard then takes the rung as done, as before).
 */
export async function resumeFailover(
  c: InstanceCase,
  deps: FailoverDeps,
  why: string,
): Promise<InstanceCase | null> {
  const cfg = c.target.failover ?? NO_FAILOVER;
  if (!cfg.standby || !cfg.targetGroupArn) return null;
  const health = await deps.targetGroups.health(cfg.targetGroupArn);
  if (!active(health[cfg.standby])) return null;
  const k = note(
    c,
    deps.clock,
    'Failover',
    `${why}; standby ${cfg.standby} is registered in target group ${cfg.targetGroupArn} (${health[cfg.standby]}): resuming the failover from there (waiting for healthy) without registering it again`,
    'action',
  );
  return {
    ...k,
    pending: {
      kind: 'failover',
      mechanism: 'target-group',
      phase: 'registering',
      startedAt: deps.clock().toISOString(),
      pollsLeft: c.settings.actionPolls ?? LADDER_DEFAULTS.actionPolls,
    },
    next: 'poll',
  };
}

/**
 * A registered target. A deregistered one shows `draining` for the group's deregistration delay and
 * then drops out of DescribeTargetHealth: deregistering it again would repeat a call that landed.
 * (`unused` is still registered — Target.NotInUse, a group no load balancer uses.)
 */
function active(state: string | undefined): boolean {
  return state !== undefined && state !== 'draining';
}

function describeHealth(health: Record<string, string>): string {
  return (
    Object.entries(health)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ') || 'none'
  );
}

async function pollTargetGroup(c: InstanceCase, deps: FailoverDeps): Promise<InstanceCase> {
  const pending = c.pending;
  if (!pending) return c;
  const id = c.target.instanceId;
  const arn = c.target.failover?.targetGroupArn ?? '';
  const standbyId = c.target.failover?.standby ?? '';
  const health = await deps.targetGroups.health(arn);
  if (health[standbyId] === 'healthy') {
    // Only now, with a healthy standby serving, does the sick instance leave the group.
    if (active(health[id])) await deps.targetGroups.deregister(arn, id);
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
  if (pollsLeft > 0) return { ...c, pending: { ...pending, pollsLeft }, next: 'poll' };
  const refused = `standby ${standbyId} did not turn healthy within ${c.settings.actionPolls ?? LADDER_DEFAULTS.actionPolls} polls (${describeHealth(health)}); ${id} left in the group`;
  return tryMechanisms(
    note(c, deps.clock, 'Failover', `failover via target-group failed: ${refused}`, 'action'),
    deps,
    'target-group',
    [`target-group: ${refused}`],
  );
}
