/**
 * Verify after an action: the same reachability checks as the evidence, polled a bounded number of
 * times (the ASL Wait state spaces the polls). After a failover it probes the standby that now
 * serves. The timeline gets the timing of each check coming back ("reboot at T, SSH back at
 * T+48 s, health 200 at T+61 s"). Not recovered after the last poll → next rung.
 */
import type { InstanceCase } from '../domain/model.ts';
import { append, type Clock, entry } from '../domain/timeline.ts';
import { afterVerify } from '../policy/moves.ts';
import { afterOkCheck } from '../policy/ok.ts';
import type { Ec2Port, RunCommandPort } from '../ports.ts';
import { probeTarget, proveVantage, type ReachabilityDeps, reachabilityChecks } from './evidence.ts';

/** What Verify asks when it cannot probe: EC2's status checks and the SSM agent. */
export interface IndependentSignals {
  ec2: Pick<Ec2Port, 'describeHealth'>;
  agent: Pick<RunCommandPort, 'agentStatus'>;
}

/**
 * probes=off: recovered when both status checks pass and the SSM agent (when the instance is a
 * managed node) is online again. Said out loud: this is weaker than a probe of the service.
 */
async function judgeBySignals(
  instanceId: string,
  signals: IndependentSignals,
): Promise<{ recovered: boolean; summary: string }> {
  const [health, agent] = await Promise.all([
    signals.ec2.describeHealth(instanceId),
    signals.agent.agentStatus(instanceId),
  ]);
  const statusOk =
    health.state === 'running' && health.systemStatus === 'ok' && health.instanceStatus === 'ok';
  const agentOk = agent === null || agent.pingStatus === 'Online';
  const agentText = agent === null ? 'not an SSM managed node' : `SSM agent ${agent.pingStatus}`;
  return {
    recovered: statusOk && agentOk,
    summary: `reachability not checked (probes=off): judged by independent signals only: ${health.state}, system status ${health.systemStatus}, instance status ${health.instanceStatus}, ${agentText}`,
  };
}

function plus(from: string | null, to: string): string {
  if (!from) return '';
  return ` at +${((Date.parse(to) - Date.parse(from)) / 1000).toFixed(1)} s`;
}

export async function verify(
  c: InstanceCase,
  deps: ReachabilityDeps & { clock: Clock; signals?: IndependentSignals },
): Promise<InstanceCase> {
  const id = c.target.instanceId;
  const last = c.actions[c.actions.length - 1];
  const now = deps.clock().toISOString();
  const probe = c.verifyProbe ?? c.target.probe;
  const where = c.verifyProbe ? ` (standby ${c.verifyProbe.address})` : '';
  const what = `${last?.kind ?? 'action'} at ${c.lastActionAt ?? 'unknown time'}`;
  let summary: string;
  let recovered = false;
  const seen = { ...c.verifySeen };
  try {
    if (deps.vantage?.mode === 'off') {
      if (!deps.signals) throw new Error('probes are off and no independent signal source is wired');
      // After a failover the standby serves; its own status checks and agent are what count.
      const judged = await judgeBySignals(
        c.verifyProbe ? (c.target.failover?.standby ?? id) : id,
        deps.signals,
      );
      recovered = judged.recovered;
      summary = judged.summary;
    } else {
      const r = await probeTarget({ ...c, target: { ...c.target, probe } }, deps);
      const checks = reachabilityChecks(r);
      recovered = checks.length > 0 && checks.every((check) => check.status === 'pass');
      for (const check of checks) if (check.status === 'pass' && !seen[check.name]) seen[check.name] = now;
      summary = checks
        .map((check) =>
          check.status === 'pass'
            ? `${check.name} back${plus(c.lastActionAt, seen[check.name] ?? now)} (${check.value})`
            : `${check.name}: ${check.value}`,
        )
        .join('; ');
      if (!recovered && deps.vantage) {
        // A failed check from a blind vantage point says nothing about the host.
        const vantage = await proveVantage(deps);
        if (vantage.status === 'blind')
          summary = `could not verify: medic's vantage point is blind (${vantage.detail}); ${summary}`;
      }
    }
  } catch (error) {
    summary = `could not verify: ${(error as Error).message}`;
  }
  // A load-check tag medic cannot use is said where the burst would have run.
  if (recovered && c.target.loadCheckProblem) summary += `; load check not run: ${c.target.loadCheckProblem}`;
  if (c.okCheck?.state === 'pending') {
    // The alarm went back to OK: one check, and the rung's own record is left as it was.
    const judged = afterOkCheck(recovered, c.okCheck.okAt);
    return {
      ...c,
      verifySeen: seen,
      next: judged.next,
      outcome: judged.outcome ?? c.outcome,
      timeline: append(
        c.timeline,
        entry(deps.clock, {
          step: 'Verify',
          kind: 'verify',
          instanceId: id,
          summary: `${judged.summary}; ${summary}`,
        }),
      ),
    };
  }
  const pollsLeft = Math.max(c.pollsLeft - 1, 0);
  const timeline = append(
    c.timeline,
    entry(deps.clock, {
      step: 'Verify',
      kind: 'verify',
      instanceId: id,
      summary: `${recovered ? 'recovered' : 'not yet recovered'}${where}: ${what}; ${summary}`,
    }),
  );
  const rule = afterVerify(recovered, pollsLeft);
  if (rule === 'resolved') {
    const actions = c.actions.map((a, i) =>
      i === c.actions.length - 1 ? { ...a, outcome: 'recovered' as const } : a,
    );
    return { ...c, actions, timeline, pollsLeft, verifySeen: seen, next: 'done', outcome: 'resolved' };
  }
  if (rule === 'again') return { ...c, timeline, pollsLeft, verifySeen: seen, next: 'verify' };
  const actions = c.actions.map((a, i) =>
    i === c.actions.length - 1 ? { ...a, outcome: 'not-recovered' as const } : a,
  );
  return {
    ...c,
    actions,
    pollsLeft,
    verifySeen: seen,
    verifyProbe: null,
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
