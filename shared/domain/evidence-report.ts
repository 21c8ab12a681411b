/**
 * The ticket's Evidence section and the evidence-derived parts of Method and Prevention:
 * every check of every branch with its value, result and source, including the ones that could not
 * be made. Self-contained so the report (report.ts) only calls it. Returns neutral document blocks
 * (document.ts) so the same content renders as ADF, wiki markup or HTML.
 */

import { isMedicAction } from '../policy/changes.ts';
import { type Block, bullets, grid, para, b as strong, t as text } from './document.ts';
import type { Change, Check, Evidence, InstanceCase } from './model.ts';

type AnyBranch = Pick<Evidence['ec2'], 'ok' | 'error' | 'checks'>;

/** A branch the ASL caught (failed or timed out) carries only its error: say what was not checked. */
function branchChecks(what: string, branch: AnyBranch | undefined): Check[] {
  if (!branch) return [];
  if (!branch.ok && branch.checks.length === 0) {
    return [
      {
        name: what,
        status: 'unknown',
        value: `could not check ${what}: ${branch.error ?? 'no detail'}`,
        source: 'Step Functions (the branch failed or timed out)',
      },
    ];
  }
  return branch.checks;
}

/** Every check of every branch, in branch order (EC2, reachability, resources, host, alerts). */
export function allChecks(evidence: Evidence): Check[] {
  return [
    ...branchChecks('EC2 status', evidence.ec2),
    ...branchChecks('reachability', evidence.reachability),
    ...branchChecks('resource metrics', evidence.metrics),
    ...branchChecks('on-host view (SSM)', evidence.host),
    ...branchChecks('alerts and logs', evidence.alerts),
  ];
}

const RESULT: Record<Check['status'], string> = { pass: 'ok', fail: 'FAIL', unknown: 'unknown' };
const MAX_QUOTED_LINES = 5;

export function evidenceSection(cases: InstanceCase[]): Block[] {
  const rows = cases.flatMap((c) =>
    (c.evidence ? allChecks(c.evidence) : []).map((k) => [
      c.target.instanceId,
      k.name,
      k.value,
      RESULT[k.status],
      k.source,
    ]),
  );
  if (rows.length === 0) return [para(text('No evidence was gathered.'))];
  const out: Block[] = [grid(['Instance', 'Check', 'Value', 'Result', 'Source'], rows)];
  for (const c of cases) {
    const errors = c.evidence?.alerts?.value?.errorLines ?? [];
    if (errors.length > 0) {
      out.push(
        para(
          strong(`Recent error lines, ${c.target.instanceId} `),
          text(`(CloudWatch Logs ${c.evidence?.alerts?.value?.logGroup ?? ''}, last ${MAX_QUOTED_LINES}):`),
        ),
        bullets(errors.slice(-MAX_QUOTED_LINES).map((e) => [text(`${e.at} ${e.stream}: ${e.message}`)])),
      );
    }
    const journal = c.evidence?.host?.value?.logTail ?? [];
    if (journal.length > 0) {
      out.push(
        para(
          strong(`Journal, ${c.target.instanceId} `),
          text(`(SSM Run Command, last ${Math.min(journal.length, MAX_QUOTED_LINES)} warning lines):`),
        ),
        bullets(journal.slice(-MAX_QUOTED_LINES).map((l) => [text(l)])),
      );
    }
  }
  return out;
}

/** Method bullets for the resource, on-host and alerts & logs checks. */
export function evidenceMethodItems(): string[] {
  return [
    'Resources: CPUUtilization (AWS/EC2) and the CloudWatch agent’s mem_used_percent and disk_used_percent over a window around the alarm (ListMetrics, then one GetMetricData call). Missing agent metrics are reported as a monitoring gap, not as healthy.',
    'Prometheus, when configured (MEDIC_PROMETHEUS_URL): range queries over the same window for the host’s instance label (medic:prometheus-instance, else the alert’s instance label): up, node_load1 per CPU, filesystem and memory availability, and the configured service-health query. A host Prometheus watches is not a monitoring gap for lack of the CloudWatch agent.',
    'On-host view through SSM Run Command when the agent is online and the instance is opted in: df, free, failed systemd units, the medic:service unit and the journal’s last warnings (read-only, output parsed and truncated).',
    'Alerts and logs: the alarm’s reason and datapoints, and recent error lines from the instance’s CloudWatch Logs group (medic:log-group) in the alarm window.',
    'Recent changes: CloudTrail LookupEvents for the instance, its security groups, ENIs and volumes (one resource per call, paced under CloudTrail’s two lookups per second), its Auto Scaling group’s activities and the SSM commands run on it, in the hour before the alarm. A change that explains the symptom (an ingress rule revoked on a probed port, the instance stopped, a volume detached, a patch run) is named as the likely cause: medic pages with it and does not act.',
    'Each check is time-boxed; a check that fails or times out is listed as "could not check …".',
  ];
}

/** Prevention suggestions that only the evidence can make. */
export function evidencePrevention(cases: InstanceCase[]): string[] {
  const out: string[] = [];
  // A host Prometheus watches has its memory and disk covered: only the CloudWatch agent's own gaps
  // (which the resources branch drops when Prometheus answers) ask for that agent.
  const metricsGap = (c: InstanceCase) =>
    c.evidence?.metrics?.value?.gaps.some((g) => /agent/.test(g)) ?? false;
  const noSsm = (c: InstanceCase) => c.evidence?.host?.value?.agent === 'not-registered';
  const gapped = cases.filter((c) => metricsGap(c) || (noSsm(c) && !c.evidence?.metrics?.value?.prometheus));
  if (gapped.length > 0) {
    out.push(
      `Monitoring gap on ${gapped.map((c) => c.target.instanceId).join(', ')}: install and configure the CloudWatch agent (memory, disk) and the SSM agent so the next incident has the on-host view.`,
    );
  }
  const promOnly = cases.filter((c) => !gapped.includes(c) && noSsm(c));
  if (promOnly.length > 0) {
    out.push(
      `No on-host view of ${promOnly.map((c) => c.target.instanceId).join(', ')} (Prometheus covers its memory and disk): install the SSM agent so medic can read df, free and the journal, and restart a service.`,
    );
  }
  const blind = cases.filter((c) => c.assessment?.classification === 'blind-observer');
  for (const c of blind) {
    const reach = c.evidence?.reachability?.value;
    const ports = reach?.ports.map((p) => p.port).join(', ') || 'the probe ports';
    const from = reach?.vantage?.from ?? 'the probe functions’ subnets and security groups';
    out.push(
      reach?.vantage?.status === 'blind'
        ? `medic could not see its own network from ${from} (control probe ${reach.vantage.canary ?? 'unknown'} failed): check the probe functions’ VPC placement, route tables and that the VPC has DNS support enabled.`
        : `medic could not reach ${c.target.instanceId} on TCP ${ports} from ${from} while the host was alive: allow inbound TCP ${ports} from the probe security group in the instance’s security group (and the network ACLs), so the next incident can be judged and acted on.`,
    );
  }
  const full = cases.filter((c) => c.assessment?.classification === 'resource:disk');
  if (full.length > 0) {
    out.push(
      'A disk filled up: add log rotation / retention and a disk_used_percent alarm at 80 % so it is caught before it is full.',
    );
  }
  return out;
}

const CHANGE_SOURCE: Record<Change['source'], string> = {
  cloudtrail: 'CloudTrail',
  autoscaling: 'Auto Scaling',
  ssm: 'SSM',
  codedeploy: 'CodeDeploy',
};

/**
 * The ticket's "Recent changes": what CloudTrail, Auto Scaling, SSM and CodeDeploy say changed on
 * each instance, its security groups, ENIs and volumes before the alarm; the change named as the likely
 * cause; and every source that could not be read (unchecked is not "nothing changed").
 */
export function changesSection(cases: InstanceCase[]): Block[] {
  const looked = cases.filter((c) => c.evidence?.alerts?.value?.changes);
  if (looked.length === 0) return [para(text('Recent changes were not looked up.'))];
  const out: Block[] = [];
  const row = (own: boolean) =>
    looked.flatMap((c) =>
      (c.evidence?.alerts?.value?.changes?.rows ?? [])
        .filter((r) => isMedicAction(r.actor) === own)
        .map((r) => [
          r.at,
          c.target.instanceId,
          r.eventName,
          r.resource,
          r.actor,
          r.detail,
          CHANGE_SOURCE[r.source],
        ]),
    );
  const rows = row(false);
  const medics = row(true);
  for (const c of looked) {
    if (c.assessment?.cause)
      out.push(para(strong(`Likely cause, ${c.target.instanceId}: `), text(c.assessment.cause)));
  }
  if (rows.length > 0)
    out.push(grid(['Time (UTC)', 'Instance', 'Change', 'Resource', 'By', 'Detail', 'Source'], rows));
  if (medics.length > 0) {
    // Context, not a cause: what medic itself did earlier (e.g. the reboot of a previous incident).
    out.push(para(strong("medic's earlier action (context, not a cause of this symptom):")));
    out.push(grid(['Time (UTC)', 'Instance', 'Change', 'Resource', 'By', 'Detail', 'Source'], medics));
  }
  for (const c of looked) {
    const changes = c.evidence?.alerts?.value?.changes;
    if (!changes) continue;
    if (changes.rows.length === 0)
      out.push(
        para(
          text(
            `${c.target.instanceId}: no changes found between ${changes.window.start} and ${changes.window.end}.`,
          ),
        ),
      );
    if (changes.truncated)
      out.push(
        para(
          text(
            `${c.target.instanceId}: more changes than shown; the newest ${changes.rows.length} are listed.`,
          ),
        ),
      );
    if (changes.deployments)
      out.push(para(text(`${c.target.instanceId}: CodeDeploy deployments: ${changes.deployments}.`)));
    if (changes.unchecked.length > 0)
      out.push(bullets(changes.unchecked.map((u) => [text(`${c.target.instanceId}: ${u}`)])));
  }
  return out;
}
