/**
 * An alarm back to OK while its incident is still walking the ladder. The OK alone never stops a
 * ladder: CloudWatch also goes OK when the metric stops arriving, or with treatMissingData=notBreaching
 * when the agent that publishes it died with the host. So before the next rung runs, an OK noted
 * after the incident opened is checked once with Verify's own probes: when they agree the service
 * is back the case ends recovered and the remaining rungs are not run; when they do not, the ladder
 * goes on and the timeline says the OK was not confirmed. Pure: the use cases read the OK notes
 * (the incident's lock item) and run the probes.
 */
import type { ActionKind } from '../domain/model.ts';

/** The detail key of the timeline note Admit joins to an open incident when its alarm goes OK. */
export const OK_AT = 'okTransitionAt';

/** What the Decide pass in front of a rung knows about OK transitions of the incident's alarm. */
export interface OkFacts {
  /** When the incident opened (its alarm entered ALARM; a manual run: its first timeline entry). */
  openedAt: string | null;
  /** The newest OK transition of an alarm noted on the incident's lock item; null: none. */
  okAt: string | null;
  /** The OK transition Verify already judged for this case; null: none judged yet. */
  judgedOkAt: string | null;
  /** The rung about to run. */
  action: ActionKind;
  /** The rung's index in the plan (for the timeline). */
  rung: number;
}

export type OkVerdict = { kind: 'go-on' } | { kind: 'verify'; okAt: string; summary: string };

const ms = (iso: string | null): number => (iso === null ? Number.NaN : Date.parse(iso));

/** In front of a rung: check an unjudged OK that came after the incident opened, else go on. */
export function okBeforeRung(f: OkFacts): OkVerdict {
  const ok = ms(f.okAt);
  if (f.okAt === null || Number.isNaN(ok)) return { kind: 'go-on' };
  // An OK from before this incident's ALARM belongs to an earlier episode of the alarm.
  const opened = ms(f.openedAt);
  if (!Number.isNaN(opened) && ok <= opened) return { kind: 'go-on' };
  // Each OK is judged once: a second look at the same OK would loop Verify and Decide.
  const judged = ms(f.judgedOkAt);
  if (!Number.isNaN(judged) && ok <= judged) return { kind: 'go-on' };
  return {
    kind: 'verify',
    okAt: f.okAt,
    summary: `alarm returned to OK at ${f.okAt}, after the incident opened: Verify checks the service before rung ${f.rung + 1} (${f.action}) runs`,
  };
}

/** What Verify's check of an OK does to the case. */
export interface OkJudgement {
  next: 'done' | 'act';
  outcome: 'resolved' | null;
  summary: string;
}

export function afterOkCheck(recovered: boolean, okAt: string): OkJudgement {
  if (recovered)
    return {
      next: 'done',
      outcome: 'resolved',
      summary: `alarm back to OK (${okAt}) and Verify agrees: remaining rungs not run`,
    };
  return {
    next: 'act',
    outcome: null,
    summary: `alarm's OK (${okAt}) was not confirmed by Verify: the ladder goes on`,
  };
}
