/**
 * Keeps the workflow's state small by construction. Step Functions fails a run with
 * States.DataLimitExceeded (which no Catch can take) when any state's input or output passes
 * 256 KiB, and the Map over up to 20 targets returns every case at once. So a finished case goes
 * to the incident store whole, and the state keeps only what the states after the Map and the
 * execution's output need: who, what was decided, what was done, how it ended, and a reference.
 * Pure: sizes are counted as AWS counts them, in UTF-8 bytes of the JSON text.
 */
import type { InstanceCase, TimelineEntry } from './model.ts';

/** The budget of one compact case in the state (20 of them must stay well below 200 KB). */
export const COMPACT_CASE_BYTES = 8_000;
/** DynamoDB's item limit is 400 KB (names and values); the rest of the item stays far below this. */
export const STORED_CASE_BYTES = 350_000;
/** What the execution's output keeps of the merged timeline (the ticket and the store keep all). */
export const OUTPUT_TIMELINE_BYTES = 64_000;

const ACTION_DETAIL_CHARS = 200;
const ERROR_CAUSE_CHARS = 300;
const APPROVAL_VALUE_CHARS = 200;

export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? 'null', 'utf8');
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function clipError<T extends { Error: string; Cause?: string } | undefined>(error: T): T {
  if (!error) return error;
  return {
    ...error,
    Error: clip(error.Error, 120),
    ...(error.Cause === undefined ? {} : { Cause: clip(error.Cause, ERROR_CAUSE_CHARS) }),
  };
}

/** The store key of a case: one item per incident and instance. */
export function caseRef(c: Pick<InstanceCase, 'incidentId' | 'target'>): string {
  return `${c.incidentId}/${c.target.instanceId}`;
}

/**
 * What the state keeps of a finished case. The field names stay those of InstanceCase (so every
 * later reader parses it unchanged); what is dropped is in the store under `storedAs`.
 */
export function compactCase(c: InstanceCase): InstanceCase {
  const compact = firstCut(c);
  if (jsonBytes(compact) <= COMPACT_CASE_BYTES) return compact;
  // Text from tags, hosts and people can be long and multi-byte: cut harder until it fits.
  const shorter = (text: string) => clip(text, 60);
  const second: InstanceCase = {
    ...compact,
    target: clipTarget(compact.target, 64),
    verifyProbe: null,
    approval: compact.approval ? { decision: compact.approval.decision ?? null } : compact.approval,
    actions: compact.actions.slice(-8).map((a) => ({ ...a, detail: shorter(a.detail) })),
    ...(compact.assessment
      ? {
          assessment: { ...compact.assessment, reasons: compact.assessment.reasons.slice(0, 2).map(shorter) },
        }
      : {}),
    ...(compact.caseError ? { caseError: { Error: shorter(compact.caseError.Error) } } : {}),
    ...(compact.actionError ? { actionError: { Error: shorter(compact.actionError.Error) } } : {}),
    verifySeen: {},
  };
  if (jsonBytes(second) <= COMPACT_CASE_BYTES) return second;
  return {
    ...second,
    target: clipTarget(second.target, 16),
    actions: second.actions.slice(-3),
  };
}

/** The target's tag-derived text clipped; the instance id is the case's key and stays whole. */
function clipTarget(target: InstanceCase['target'], max: number): InstanceCase['target'] {
  return { ...(clipStrings(target, max) as InstanceCase['target']), instanceId: target.instanceId };
}

/** Every string in a plain JSON value, clipped to `max` characters. */
function clipStrings(value: unknown, max: number): unknown {
  if (typeof value === 'string') return clip(value, max);
  if (Array.isArray(value)) return value.map((v) => clipStrings(v, max));
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, clipStrings(v, max)]));
  return value;
}

function firstCut(c: InstanceCase): InstanceCase {
  const approval = c.approval
    ? Object.fromEntries(
        Object.entries(c.approval).map(([k, v]) => [
          k,
          typeof v === 'string' ? clip(v, APPROVAL_VALUE_CHARS) : typeof v === 'object' ? null : v,
        ]),
      )
    : c.approval;
  const { alarm: _alarm, ...rest } = c;
  return {
    ...rest,
    target: { ...c.target, name: c.target.name === null ? null : clip(c.target.name, 128) },
    evidence: null,
    timeline: [],
    pending: null,
    approval,
    actions: c.actions.map((a) => ({ ...a, detail: clip(a.detail, ACTION_DETAIL_CHARS) })),
    ...(c.assessment
      ? {
          assessment: { ...c.assessment, reasons: c.assessment.reasons.slice(0, 5).map((r) => clip(r, 200)) },
        }
      : {}),
    ...(c.caseError ? { caseError: clipError(c.caseError) } : {}),
    ...(c.actionError ? { actionError: clipError(c.actionError) } : {}),
    storedAs: caseRef(c),
  };
}

/**
 * Keeps the first and as many of the last entries as fit in `maxBytes`, with one note saying how
 * many were left out and where they are. Oversized entries lose their detail first.
 */
export function boundTimeline(entries: TimelineEntry[], maxBytes: number, where: string): TimelineEntry[] {
  if (jsonBytes(entries) <= maxBytes) return entries;
  const slim = entries.map((e) =>
    jsonBytes(e) <= 2_000 ? e : { ...withoutDetail(e), summary: clip(e.summary, 300) },
  );
  let budget = maxBytes - 600; // the note, the brackets
  const head: TimelineEntry[] = [];
  const headBudget = Math.floor(budget / 4);
  for (const e of slim.slice(0, 10)) {
    const size = jsonBytes(e) + 1;
    if (size > headBudget - (maxBytes - 600 - budget)) break;
    budget -= size;
    head.push(e);
  }
  const tail: TimelineEntry[] = [];
  for (let i = slim.length - 1; i >= head.length; i--) {
    const e = slim[i] as TimelineEntry;
    const size = jsonBytes(e) + 1;
    if (size > budget) break;
    budget -= size;
    tail.unshift(e);
  }
  const omitted = entries.length - head.length - tail.length;
  const note: TimelineEntry = {
    at: tail[0]?.at ?? head.at(-1)?.at ?? new Date(0).toISOString(),
    step: 'timeline',
    kind: 'note',
    summary: `${omitted} entries omitted here: see ${where}`,
  };
  return [...head, note, ...tail];
}

function withoutDetail(e: TimelineEntry): TimelineEntry {
  const { detail: _detail, ...rest } = e;
  return rest;
}

/**
 * The whole case, made to fit one DynamoDB item: first the timeline details go, then long text is
 * cut, then the middle of the timeline; what is cut is still in the ticket Record files.
 */
export function fitForStore(c: InstanceCase): InstanceCase {
  if (jsonBytes(c) <= STORED_CASE_BYTES) return c;
  const lean = { ...c, timeline: c.timeline.map(withoutDetail) };
  if (jsonBytes(lean) <= STORED_CASE_BYTES) return lean;
  const clipped = {
    ...(clipStrings({ ...lean, timeline: [] }, 2_000) as InstanceCase),
    incidentId: c.incidentId,
    target: clipTarget(c.target, 2_000),
  };
  const rest =
    jsonBytes(clipped) <= STORED_CASE_BYTES / 2 ? clipped : { ...compactCase(c), storedAs: undefined };
  return {
    ...rest,
    timeline: boundTimeline(lean.timeline, STORED_CASE_BYTES - jsonBytes(rest) - 100, 'the Jira ticket'),
  };
}

/** Puts the stored cases back in place of their compact forms (a case not found stays compact). */
export function rehydrate(cases: InstanceCase[], stored: InstanceCase[]): InstanceCase[] {
  const byRef = new Map(stored.map((c) => [caseRef(c), c]));
  return cases.map((c) => (c.storedAs ? (byRef.get(c.storedAs) ?? c) : c));
}
