// The error contract between shared/errors.ts and the deployed definition. Step Functions matches
// ErrorEquals against the thrown error's name exactly, so a misspelt or renamed name is a Retry
// or Catch that silently never fires; and a doc that promises a by-name retry the definition does
// not have is a fiction someone will rely on. Generic over whatever states the definition has.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import * as errors from '../shared/errors.ts';

const root = join(import.meta.dirname, '..');

/** The definition serverless.yml deploys (`definition: ${file(...)}`), JSON or YAML. */
function deployedDefinition(): unknown {
  const serverless = readFileSync(join(root, 'serverless.yml'), 'utf8');
  const path = /^\s*definition:\s*\$\{file\(([^)]+)\)\}/m.exec(serverless)?.[1];
  if (!path) throw new Error('serverless.yml names no definition file for the state machine');
  const text = readFileSync(join(root, path), 'utf8');
  return path.endsWith('.json') ? JSON.parse(text) : parseYaml(text, { logLevel: 'silent' });
}

/** Every ErrorEquals entry anywhere (Retry and Catch, inside Parallel branches and Map processors). */
function errorEqualsIn(node: unknown, where = '$'): { name: string; where: string; retry: boolean }[] {
  if (Array.isArray(node)) return node.flatMap((n, i) => errorEqualsIn(n, `${where}[${i}]`));
  if (typeof node !== 'object' || node === null) return [];
  const found: { name: string; where: string; retry: boolean }[] = [];
  for (const [key, value] of Object.entries(node)) {
    if ((key === 'Retry' || key === 'Catch') && Array.isArray(value)) {
      for (const rule of value as { ErrorEquals?: unknown }[]) {
        for (const name of Array.isArray(rule.ErrorEquals) ? rule.ErrorEquals : []) {
          found.push({ name: String(name), where: `${where}.${key}`, retry: key === 'Retry' });
        }
      }
    }
    found.push(...errorEqualsIn(value, `${where}.${key}`));
  }
  return found;
}

/**
 * The names AWS itself reports in the namespaces medic retries or catches (Step Functions' States.*,
 * the Lambda service's Lambda.*, a timed-out function's Sandbox.Timedout). Other service prefixes
 * (SNS.…, for a direct integration) are AWS's too and not checked here.
 */
const AWS_NAMES = new Set([
  'States.ALL',
  'States.Timeout',
  'States.HeartbeatTimeout',
  'States.TaskFailed',
  'States.Permissions',
  'States.Runtime',
  'States.DataLimitExceeded',
  'States.BranchFailed',
  'States.NoChoiceMatched',
  'States.ParameterPathFailure',
  'States.ResultPathMatchFailure',
  'States.IntrinsicFailure',
  'States.ExceedToleratedFailureThreshold',
  'States.ItemReaderFailed',
  'States.ResultWriterFailed',
  'States.QueryEvaluationError',
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'Lambda.ClientExecutionTimeoutException',
  'Lambda.Unknown',
  'Sandbox.Timedout',
]);
const CHECKED_AWS_NAMESPACES = /^(States|Lambda|Sandbox)\./;

type ErrorClass = abstract new (...args: never[]) => Error;
const exported = Object.entries(errors as Record<string, unknown>).filter(
  (entry): entry is [string, ErrorClass] =>
    typeof entry[1] === 'function' && entry[1].prototype instanceof Error,
);
/** The literal name each concrete class throws with (the abstract groups have none of their own). */
function thrownName(cls: ErrorClass): string | undefined {
  // Class fields are set by the constructor, so the name is read off a constructed instance.
  const name = (Reflect.construct(cls, ['probe', 'probe']) as Error).name;
  return name === 'Error' ? undefined : name;
}
const concrete = exported
  .map(([id, cls]) => ({ id, cls, name: thrownName(cls) }))
  .filter((c): c is { id: string; cls: ErrorClass; name: string } => c.name !== undefined);

/**
 * The classes whose doc comment in errors.ts (their own or a group's they extend) says the
 * workflow retries or catches them *by name*: that is the phrase the file's header defines.
 */
function claimedByName(source: string): Map<string, 'Retry' | 'Catch'> {
  const claims = new Map<string, 'Retry' | 'Catch'>();
  const docThenClass = /\/\*\*((?:(?!\*\/)[\s\S])*)\*\/\s*export\s+(?:abstract\s+)?class\s+(\w+)/g;
  for (const m of source.matchAll(docThenClass)) {
    const doc = (m[1] ?? '').replace(/^\s*\*\s?/gm, ' ');
    const claim = /\b(retries|retried|catches|caught)\b[^.]*\bby name\b/i.exec(doc)?.[1];
    if (claim) claims.set(m[2] ?? '', /^retr/i.test(claim) ? 'Retry' : 'Catch');
  }
  return claims;
}

describe('the error contract between shared/errors.ts and the definition', () => {
  const named = errorEqualsIn(deployedDefinition());

  it('names only errors AWS reports or medic throws', () => {
    // Prepare
    const medicNames = new Set(concrete.map((c) => c.name));
    // Act
    const unknown = named.filter(({ name }) =>
      CHECKED_AWS_NAMESPACES.test(name) ? !AWS_NAMES.has(name) : !name.includes('.') && !medicNames.has(name),
    );
    // Assess
    expect(named.length).toBeGreaterThan(0);
    expect(unknown).toEqual([]);
  });

  it('gives every class a literal name of its own that cannot be mistaken for an AWS name', () => {
    // Act
    const names = concrete.map((c) => c.name);
    // Assess
    expect(concrete.length).toBeGreaterThanOrEqual(20);
    expect(new Set(names).size).toBe(names.length);
    for (const c of concrete) {
      expect(c.name, c.id).not.toContain('.');
      expect(c.cls.prototype instanceof errors.MedicError, `${c.id} extends MedicError`).toBe(true);
    }
  });

  it('has the definition retry or catch by name every class errors.ts says it does', () => {
    // Prepare
    const claims = claimedByName(readFileSync(join(root, 'shared', 'errors.ts'), 'utf8'));
    const byId = new Map(exported);
    /** What errors.ts promises for a class: its own claim, or that of a group it extends. */
    const promiseFor = (c: (typeof concrete)[number]) =>
      claims.get(c.id) ??
      [...claims].find(([id]) => {
        const group = byId.get(id);
        return group !== undefined && c.cls.prototype instanceof group;
      })?.[1];
    // Act
    const promised = concrete.flatMap((c) => {
      const kind = promiseFor(c);
      return kind ? [{ name: c.name, kind }] : [];
    });
    const missing = promised.filter(
      (p) => !named.some((n) => n.name === p.name && (p.kind === 'Catch' || n.retry)),
    );
    // Assess
    expect(promised.length).toBeGreaterThan(0);
    expect(missing).toEqual([]);
  });

  it('sends a rejection under the name of its class', () => {
    // Assess
    expect(new errors.ApprovalRejected('no').name).toBe(errors.APPROVAL_REJECTED);
  });
});
