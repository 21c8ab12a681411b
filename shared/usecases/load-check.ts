/**
 * Recovered under load: Verify's probes said the service is back, and the instance carries a
 * `medic:load-check`. A bounded burst to the same health URL, from the same vantage point, either
 * confirms the recovery or undoes it ("answers one probe, fails under load") so the ladder goes on.
 */
import { describeLoad, LOAD_CAPS } from '../domain/load-check.ts';
import type { InstanceCase } from '../domain/model.ts';
import { isLoopbackUrl } from '../domain/net.ts';
import { append, type Clock, entry } from '../domain/timeline.ts';
import { judgeLoad } from '../policy/load.ts';
import type { LoadBurstPort } from '../ports.ts';

export interface LoadCheckDeps {
  load: LoadBurstPort;
  clock: Clock;
  /** Refuse any burst that would leave loopback (simulate and tests). */
  loopbackOnly: boolean;
  /** The deployment does not probe (`--param probes=off`): no burst either. */
  probesOff: boolean;
}

/** What the burst found, for the timeline; pass false sends the ladder on. */
async function burst(
  c: InstanceCase,
  deps: LoadCheckDeps,
): Promise<{ pass: boolean; summary: string } | null> {
  const check = c.target.loadCheck;
  if (!check) return null;
  if (deps.probesOff)
    return { pass: true, summary: 'load check not run: this deployment does not probe (probes=off)' };
  // After a failover the standby serves: the burst goes where Verify's probe went.
  const url = (c.verifyProbe ?? c.target.probe).healthUrl;
  if (!url) return { pass: true, summary: 'load check not run: no health URL to send it to' };
  if (deps.loopbackOnly && !isLoopbackUrl(url))
    return { pass: false, summary: `load check refused: ${url} is not loopback (local run)` };
  const capped = check.capped?.length ? ` (capped: ${check.capped.join(', ')})` : '';
  try {
    const r = await deps.load.burst(url, {
      requests: check.requests,
      connections: check.concurrency,
      maxSeconds: LOAD_CAPS.seconds,
    });
    const verdict = judgeLoad(check, r);
    return verdict.pass
      ? { pass: true, summary: `load check passed${capped}: ${describeLoad(r, check)}` }
      : {
          pass: false,
          summary: `answers one probe, fails under load${capped}: ${verdict.why.join('; ')} (${describeLoad(r, check)})`,
        };
  } catch (error) {
    // A burst that could not run proves nothing: not recovered, said plainly.
    return { pass: false, summary: `load check could not run: ${(error as Error).message}` };
  }
}

/** Takes the case as Verify left it (recovered) and confirms it under load, or sends the ladder on. */
export async function checkUnderLoad(c: InstanceCase, deps: LoadCheckDeps): Promise<InstanceCase> {
  if (c.next !== 'done' || c.outcome !== 'resolved') return c;
  const found = await burst(c, deps);
  if (!found) return c;
  const id = c.target.instanceId;
  const timeline = append(
    c.timeline,
    entry(deps.clock, { step: 'LoadCheck', kind: 'verify', instanceId: id, summary: found.summary }),
  );
  const last = c.actions.length - 1;
  if (found.pass) {
    const actions = c.actions.map((a, i) =>
      i === last ? { ...a, detail: `${a.detail}; ${found.summary}` } : a,
    );
    return { ...c, actions, timeline };
  }
  const kind = c.actions[last]?.kind ?? 'action';
  const actions = c.actions.map((a, i) =>
    i === last ? { ...a, outcome: 'not-recovered' as const, detail: `${a.detail}; ${found.summary}` } : a,
  );
  return {
    ...c,
    actions,
    outcome: null,
    pollsLeft: 0,
    verifyProbe: null,
    next: 'act',
    timeline: append(
      timeline,
      entry(deps.clock, {
        step: 'LoadCheck',
        kind: 'escalation',
        instanceId: id,
        summary: `${kind} brought the service back for one probe but not under load: moving to the next rung`,
      }),
    ),
  };
}
