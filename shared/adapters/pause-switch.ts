/**
 * The kill switch as stored: SSM String parameters holding `{"paused": true, "reason", "by", "at"}`,
 * written by `medic pause` and deleted by `medic resume`. `/medic/<stage>/pause` pauses everything;
 * `/medic/<stage>/pause/account/<id>` one account and `/medic/<stage>/pause/region/<region>` one
 * region of the organization (all kept in the central account and region). A case reads the three
 * that apply to it in one GetParameters call (a name that does not exist comes back in
 * InvalidParameters, not as an error): any of them holds it.
 * Reads are cached briefly per sandbox (a pause reaches every rung that starts after the cache
 * expires); failures are never cached and are thrown, so the guard fails closed.
 */
import {
  DeleteParameterCommand,
  GetParameterCommand,
  GetParametersCommand,
  PutParameterCommand,
  type SSMClient,
} from '@aws-sdk/client-ssm';
import type { PauseRecord, PauseScope, PauseSwitchPort } from '../ports.ts';
import { callAws } from './aws-errors.ts';

/** The parameter's value: what `medic pause` writes. */
export interface StoredPause {
  paused: true;
  reason: string;
  by: string;
  at: string;
}

/** Parses the stored value; anything that is not medic's own shape is an error (fail closed). */
export function parsePause(name: string, text: string | undefined): PauseRecord | null {
  let value: unknown;
  try {
    value = JSON.parse(text ?? '');
  } catch {
    throw new Error(`${name} does not hold JSON`);
  }
  const v = value as { paused?: unknown; reason?: unknown; by?: unknown; at?: unknown } | null;
  if (v && typeof v === 'object' && v.paused === false) return null;
  if (!v || typeof v !== 'object' || v.paused !== true) {
    throw new Error(`${name} does not hold {"paused": true|false, …}`);
  }
  return {
    reason: String(v.reason ?? 'no reason given'),
    by: String(v.by ?? 'unknown'),
    at: String(v.at ?? 'unknown time'),
    source: `SSM parameter ${name}`,
  };
}

/** What one pause covers: everything, one account, or one region. */
export type PauseTarget = { everything: true } | { account: string } | { region: string };

/** The parameter of one pause scope, under the stage's base name. */
export function pauseParameterName(base: string, target: PauseTarget): string {
  if ('account' in target) return `${base}/account/${target.account}`;
  if ('region' in target) return `${base}/region/${target.region}`;
  return base;
}

/** The parameters that can hold a case acting in `where`: everything first, then its account, its region. */
export function pauseParametersFor(base: string, where: PauseScope): string[] {
  return [
    base,
    ...(where.account ? [pauseParameterName(base, { account: where.account })] : []),
    ...(where.region ? [pauseParameterName(base, { region: where.region })] : []),
  ];
}

export interface PauseSwitchOptions {
  /** How long a successful read is trusted, in ms. */
  maxAgeMs: number;
  now?: () => number;
}

export function pauseSwitch(ssm: SSMClient, name: string, options: PauseSwitchOptions): PauseSwitchPort {
  const now = options.now ?? Date.now;
  let cached: { until: number; value: PauseRecord | null } | null = null;
  const scoped = new Map<string, { until: number; value: PauseRecord | null }>();

  const fromParameters = async (names: string[]): Promise<PauseRecord | null> => {
    const out = await callAws(`SSM GetParameters ${names.join(', ')}`, () =>
      ssm.send(new GetParametersCommand({ Names: names })),
    );
    const values = new Map((out.Parameters ?? []).map((p) => [p.Name ?? '', p.Value] as const));
    // Every value is parsed, in order: one that is not medic's fails closed even if another holds.
    const found = names.flatMap((n) => (values.has(n) ? [parsePause(n, values.get(n))] : []));
    return found.find((p) => p !== null) ?? null;
  };

  const fromParameter = async (): Promise<PauseRecord | null> => {
    try {
      // A throttle, 5xx or lost connection becomes AwsTransientError: PrepareRung's Retry asks again.
      const out = await callAws(`SSM GetParameter ${name}`, () =>
        ssm.send(new GetParameterCommand({ Name: name })),
      );
      return parsePause(name, out.Parameter?.Value);
    } catch (error) {
      // No parameter is the normal state: medic is not paused. Every other failure is thrown.
      if ((error as Error).name === 'ParameterNotFound') return null;
      throw error;
    }
  };

  return {
    async read(where) {
      if (where?.account || where?.region) {
        const names = pauseParametersFor(name, where);
        const key = names.join(' ');
        const hit = scoped.get(key);
        if (hit && now() < hit.until) return hit.value;
        const value = await fromParameters(names);
        // Bounded: a sandbox serves a handful of (account, region) pairs; never grows past 100.
        if (scoped.size >= 100) scoped.clear();
        scoped.set(key, { until: now() + options.maxAgeMs, value });
        return value;
      }
      if (cached && now() < cached.until) return cached.value;
      const value = await fromParameter();
      cached = { until: now() + options.maxAgeMs, value };
      return value;
    },
  };
}

/** `medic pause`: writes the stage's parameter (a String: nothing secret, no KMS needed). */
export async function writePause(ssm: SSMClient, name: string, pause: StoredPause): Promise<void> {
  await ssm.send(
    new PutParameterCommand({
      Name: name,
      Type: 'String',
      Overwrite: true,
      Value: JSON.stringify(pause),
      Description: 'medic kill switch: while this parameter exists, medic takes no mutating action',
    }),
  );
}

/** `medic resume`: deletes the parameter; returns what it held (null: medic was not paused). */
export async function clearPause(ssm: SSMClient, name: string): Promise<PauseRecord | null> {
  let previous: PauseRecord | null = null;
  try {
    const out = await ssm.send(new GetParameterCommand({ Name: name }));
    previous = parsePause(name, out.Parameter?.Value);
  } catch (error) {
    if ((error as Error).name === 'ParameterNotFound') return null;
    // An unreadable value is still removed: resume must always be able to clear the switch.
    if ((error as { $metadata?: unknown }).$metadata !== undefined) throw error;
  }
  try {
    await ssm.send(new DeleteParameterCommand({ Name: name }));
  } catch (error) {
    if ((error as Error).name !== 'ParameterNotFound') throw error;
  }
  return previous;
}
