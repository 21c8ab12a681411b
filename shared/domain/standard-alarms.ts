/**
 * The standard alarms `medic alarms sync` keeps for every opted-in instance, and the plan that
 * turns what exists into what should. Pure: the diff is table-tested without AWS.
 *
 * Memory and disk come from the CloudWatch agent: it must publish `mem_used_percent` with the
 * InstanceId dimension and `disk_used_percent` with InstanceId + path (agent config
 * `append_dimensions: {"InstanceId": "${aws:InstanceId}"}` and `aggregation_dimensions:
 * [["InstanceId"], ["InstanceId", "path"]]`), which is what the README's agent snippet sets.
 */

export interface AlarmSpec {
  AlarmName: string;
  AlarmDescription: string;
  Namespace: string;
  MetricName: string;
  Dimensions: { Name: string; Value: string }[];
  Statistic: 'Average' | 'Maximum';
  Period: number;
  EvaluationPeriods: number;
  DatapointsToAlarm: number;
  Threshold: number;
  ComparisonOperator: 'GreaterThanOrEqualToThreshold' | 'GreaterThanThreshold';
  TreatMissingData: 'missing' | 'breaching' | 'notBreaching';
  AlarmActions: string[];
  OKActions: string[];
}

export interface ManagedInstance {
  instanceId: string;
  name: string | null;
  tags: Record<string, string>;
}

export const ALARM_PREFIX = 'medic-';
export const STANDARD_KINDS = ['status-system', 'status-instance', 'cpu', 'memory', 'disk'] as const;

function threshold(tags: Record<string, string>, tag: string, fallback: number): number {
  const value = Number(tags[tag]);
  return Number.isFinite(value) && value > 0 && value <= 100 ? value : fallback;
}

export function standardAlarms(instance: ManagedInstance, topicArn: string): AlarmSpec[] {
  const id = instance.instanceId;
  const label = instance.name ? `${instance.name} (${id})` : id;
  const dims = [{ Name: 'InstanceId', Value: id }];
  const common = {
    AlarmActions: [topicArn],
    // OK goes to medic too: it closes the open episode.
    OKActions: [topicArn],
  };
  const disk = threshold(instance.tags, 'medic:disk-threshold', 90);
  return [
    {
      ...common,
      AlarmName: `${ALARM_PREFIX}${id}-status-system`,
      AlarmDescription: `medic standard alarm: system status check failed on ${label} (AWS hardware/host)`,
      Namespace: 'AWS/EC2',
      MetricName: 'StatusCheckFailed_System',
      Dimensions: dims,
      Statistic: 'Maximum',
      Period: 60,
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'missing',
    },
    {
      ...common,
      AlarmName: `${ALARM_PREFIX}${id}-status-instance`,
      AlarmDescription: `medic standard alarm: instance status check failed on ${label} (OS/network)`,
      Namespace: 'AWS/EC2',
      MetricName: 'StatusCheckFailed_Instance',
      Dimensions: dims,
      Statistic: 'Maximum',
      Period: 60,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'missing',
    },
    {
      ...common,
      AlarmName: `${ALARM_PREFIX}${id}-cpu`,
      AlarmDescription: `medic standard alarm: CPU above the threshold on ${label}`,
      Namespace: 'AWS/EC2',
      MetricName: 'CPUUtilization',
      Dimensions: dims,
      Statistic: 'Average',
      Period: 300,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      Threshold: threshold(instance.tags, 'medic:cpu-threshold', 90),
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'missing',
    },
    {
      ...common,
      AlarmName: `${ALARM_PREFIX}${id}-memory`,
      AlarmDescription: `medic standard alarm: memory above the threshold on ${label} (CloudWatch agent)`,
      Namespace: 'CWAgent',
      MetricName: 'mem_used_percent',
      Dimensions: dims,
      Statistic: 'Average',
      Period: 300,
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
      Threshold: threshold(instance.tags, 'medic:memory-threshold', 90),
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'missing',
    },
    {
      ...common,
      AlarmName: `${ALARM_PREFIX}${id}-disk`,
      AlarmDescription: `medic standard alarm: root disk above the threshold on ${label} (CloudWatch agent)`,
      Namespace: 'CWAgent',
      MetricName: 'disk_used_percent',
      Dimensions: [...dims, { Name: 'path', Value: instance.tags['medic:disk-path'] ?? '/' }],
      Statistic: 'Maximum',
      Period: 300,
      EvaluationPeriods: 1,
      DatapointsToAlarm: 1,
      Threshold: disk,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'missing',
    },
  ];
}

export type PlanStep =
  | { op: 'create'; spec: AlarmSpec }
  | { op: 'update'; spec: AlarmSpec; changes: string[] }
  | { op: 'keep'; name: string }
  | { op: 'orphan'; name: string };

const COMPARED: (keyof AlarmSpec)[] = [
  'Namespace',
  'MetricName',
  'Dimensions',
  'Statistic',
  'Period',
  'EvaluationPeriods',
  'DatapointsToAlarm',
  'Threshold',
  'ComparisonOperator',
  'TreatMissingData',
  'AlarmActions',
  'OKActions',
  'AlarmDescription',
];

const canonical = (key: keyof AlarmSpec, value: unknown): string => {
  if (key === 'Dimensions' && Array.isArray(value)) {
    return [...(value as { Name: string; Value: string }[])]
      .map((d) => `${d.Name}=${d.Value}`)
      .sort()
      .join(',');
  }
  if (Array.isArray(value)) return [...value].sort().join(',');
  return value === undefined || value === null ? '' : String(value);
};

/**
 * Desired vs existing alarms → ordered plan. Alarms named medic-i-… whose instance is no longer
 * opted in are reported as orphans and left alone: sync never deletes anything.
 */
export function planAlarms(desired: AlarmSpec[], existing: Partial<AlarmSpec>[]): PlanStep[] {
  const byName = new Map(existing.map((a) => [a.AlarmName ?? '', a]));
  const wanted = new Set(desired.map((d) => d.AlarmName));
  const steps: PlanStep[] = desired.map((spec) => {
    const current = byName.get(spec.AlarmName);
    if (!current) return { op: 'create', spec };
    const changes = COMPARED.filter((k) => canonical(k, spec[k]) !== canonical(k, current[k])).map(
      (k) => `${k}: ${canonical(k, current[k]) || '(none)'} → ${canonical(k, spec[k])}`,
    );
    return changes.length === 0 ? { op: 'keep', name: spec.AlarmName } : { op: 'update', spec, changes };
  });
  for (const name of byName.keys()) {
    if (/^medic-i-[0-9a-f]+-/.test(name) && !wanted.has(name)) steps.push({ op: 'orphan', name });
  }
  return steps;
}

export function renderPlan(steps: PlanStep[]): string {
  const lines = steps.map((s) => {
    switch (s.op) {
      case 'create':
        return `+ ${s.spec.AlarmName}  ${s.spec.Namespace}/${s.spec.MetricName} ${s.spec.ComparisonOperator === 'GreaterThanThreshold' ? '>' : '>='} ${s.spec.Threshold}`;
      case 'update':
        return [`~ ${s.spec.AlarmName}`, ...s.changes.map((c) => `    ${c}`)].join('\n');
      case 'keep':
        return `= ${s.name}`;
      default:
        return `! ${s.name}  (its instance is not opted in any more; left alone)`;
    }
  });
  const count = (op: PlanStep['op']) => steps.filter((s) => s.op === op).length;
  lines.push(
    '',
    `Plan: ${count('create')} to create, ${count('update')} to update, ${count('keep')} unchanged, ${count('orphan')} orphaned.`,
  );
  return lines.join('\n');
}
