/**
 * Verify after an action: the same reachability checks as the evidence, polled a bounded number of
 * times (the ASL Wait state spaces the polls). Not recovered after the last poll → next rung.
 */
import type { InstanceCase } from '../domain/model.ts';
import { append, type Clock, entry } from '../domain/timeline.ts';
import { isReachable, probeTarget, type ReachabilityDeps, reachabilityChecks } from './evidence.ts';

export async function verify(
  c: InstanceCase,
  deps: ReachabilityDeps & { clock: Clock },
): Promise<InstanceCase> {
  const id = c.target.instanceId;
  const last = c.actions[c.actions.length - 1];
  const since = c.lastActionAt
    ? Math.round((deps.clock().getTime() - Date.parse(c.lastActionAt)) / 1000)
    : null;
  const after = `${last?.kind ?? 'action'}${since !== null ? ` + ${since} s` : ''}`;
  let summary: string;
  let recovered = false;
  try {
    const r = await probeTarget(c, deps);
    recovered = isReachable(r);
    summary = reachabilityChecks(r)
      .map((check) => `${check.name}: ${check.value}`)
      .join('; ');
  } catch (error) {
    summary = `could not verify: ${(error as Error).message}`;
  }
  const pollsLeft = Math.max(c.pollsLeft - 1, 0);
  const timeline = append(
    c.timeline,
    entry(deps.clock, {
      step: 'Verify',
      kind: 'verify',
      instanceId: id,
      summary: `${recovered ? 'recovered' : 'not yet recovered'} at ${after}: ${summary}`,
    }),
  );
  if (recovered) {
    const actions = c.actions.map((a, i) =>
      i === c.actions.length - 1 ? { ...a, outcome: 'recovered' as const } : a,
    );
    return { ...c, actions, timeline, pollsLeft, next: 'done', outcome: 'resolved' };
  }
  if (pollsLeft > 0) return { ...c, timeline, pollsLeft, next: 'verify' };
  const actions = c.actions.map((a, i) =>
    i === c.actions.length - 1 ? { ...a, outcome: 'not-recovered' as const } : a,
  );
  return {
    ...c,
    actions,
    pollsLeft,
    next: 'act',
    timeline: append(
      timeline,
      entry(deps.clock, {
        step: 'Verify',
        kind: 'escalation',
        instanceId: id,
        summary: `${last?.kind ?? 'action'} did not restore service after ${c.settings.verifyPolls} checks: moving to the next rung`,
      }),
    ),
  };
}
