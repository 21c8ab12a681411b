/**
 * On-host branch: when the SSM agent is online, run a read-only script (df, free, failed units,
 * the configured service, the journal's last warnings) and parse it into bounded evidence. Only on
 * opted-in instances: medic runs no command on a host it was not allowed to touch.
 */
import { RESOURCE_LIMITS } from '../domain/assess.ts';
import { hostScript, parseHostOutput } from '../domain/host-output.ts';
import type { Check, HostEvidence, InstanceCase } from '../domain/model.ts';
import type { RunCommandPort } from '../ports.ts';
import { type Branch, failed, timeBox } from './evidence.ts';

const TERMINAL = new Set([
  'Success',
  'Failed',
  'Cancelled',
  'TimedOut',
  'DeliveryTimedOut',
  'ExecutionTimedOut',
  'Undeliverable',
  'Terminated',
]);
const SOURCE = 'SSM Run Command (AWS-RunShellScript)';

export interface HostDeps {
  runCommand: RunCommandPort;
  timeoutMs: number;
  /** Pause between GetCommandInvocation polls. */
  pollMs: number;
}

const empty = (agent: HostEvidence['agent'], agentDetail: string): HostEvidence => ({
  agent,
  agentDetail,
  commandStatus: null,
  disks: [],
  memory: null,
  failedUnits: [],
  service: null,
  logTail: [],
  truncated: false,
});

const ERROR_LINE =
  /\b(error|err|crit|critical|fatal|panic|oom|out of memory|no space left|segfault|failed)\b/i;

export function hostChecks(h: HostEvidence): Check[] {
  const agentCheck: Check = {
    name: 'SSM agent',
    status: h.agent === 'online' ? 'pass' : h.agent === 'not-opted-in' ? 'unknown' : 'fail',
    value: h.agentDetail,
    source: 'SSM DescribeInstanceInformation',
  };
  if (h.agent !== 'online') return [agentCheck];
  const checks: Check[] = [agentCheck];
  if (h.commandStatus !== 'Success')
    checks.push({
      name: 'on-host command',
      status: 'unknown',
      value: `command ${h.commandStatus ?? 'not run'}`,
      source: SOURCE,
    });
  checks.push({
    name: 'disk usage (df)',
    status:
      h.disks.length === 0
        ? 'unknown'
        : h.disks.some((d) => d.usedPercent >= RESOURCE_LIMITS.diskPercent)
          ? 'fail'
          : 'pass',
    value: h.disks.length ? h.disks.map((d) => `${d.mount} ${d.usedPercent} %`).join(', ') : 'no output',
    source: SOURCE,
  });
  checks.push({
    name: 'memory (free)',
    status: !h.memory ? 'unknown' : h.memory.usedPercent >= RESOURCE_LIMITS.memoryPercent ? 'fail' : 'pass',
    value: h.memory
      ? `${h.memory.usedPercent} % used (${h.memory.availableMb} MB available of ${h.memory.totalMb} MB)`
      : 'no output',
    source: SOURCE,
  });
  checks.push({
    name: 'failed systemd units',
    status: h.failedUnits.length ? 'fail' : 'pass',
    value: h.failedUnits.length ? h.failedUnits.join(', ') : 'none',
    source: SOURCE,
  });
  if (h.service) {
    checks.push({
      name: `service ${h.service.name}`,
      status: h.service.state === 'active' ? 'pass' : 'fail',
      value: h.service.state,
      source: SOURCE,
    });
  }
  const errors = h.logTail.filter((l) => ERROR_LINE.test(l));
  checks.push({
    name: 'journal (last warnings)',
    status: errors.length ? 'fail' : 'pass',
    value: h.logTail.length
      ? `${h.logTail.length} lines${h.truncated ? ' (truncated)' : ''}; last: ${(errors.at(-1) ?? h.logTail.at(-1) ?? '').slice(0, 200)}`
      : 'no warnings',
    source: SOURCE,
  });
  return checks;
}

export async function gatherHost(c: InstanceCase, deps: HostDeps): Promise<Branch<HostEvidence>> {
  const id = c.target.instanceId;
  if (!c.target.managed) {
    const value = empty(
      'not-opted-in',
      'not checked: medic runs no command on an instance that is not opted in (medic:managed=true)',
    );
    return { ok: true, value, error: null, checks: hostChecks(value) };
  }
  try {
    const deadline = Date.now() + deps.timeoutMs;
    const value = await timeBox('on-host view (SSM)', deps.timeoutMs, async (): Promise<HostEvidence> => {
      const agent = await deps.runCommand.agentStatus(id);
      if (!agent) {
        return empty(
          'not-registered',
          'monitoring gap: not an SSM managed node (agent not installed or not running, or no instance profile)',
        );
      }
      if (agent.pingStatus !== 'Online') {
        return empty(
          'offline',
          `SSM agent ${agent.pingStatus}${agent.lastPing ? ` since ${agent.lastPing}` : ''}`,
        );
      }
      const service = c.target.service;
      const commandId = await deps.runCommand.send(id, hostScript(service), Math.ceil(deps.timeoutMs / 1000));
      let inv = await deps.runCommand.invocation(commandId, id);
      // Bounded by the time box's own deadline.
      while ((!inv || !TERMINAL.has(inv.status)) && Date.now() + deps.pollMs < deadline) {
        await new Promise((r) => setTimeout(r, deps.pollMs));
        inv = await deps.runCommand.invocation(commandId, id);
      }
      if (!inv || !TERMINAL.has(inv.status)) {
        return { ...empty('online', 'SSM agent Online'), commandStatus: inv?.status ?? 'Pending' };
      }
      return {
        ...empty('online', 'SSM agent Online'),
        commandStatus: inv.status,
        ...parseHostOutput(inv.stdout, service),
      };
    });
    return { ok: true, value, error: null, checks: hostChecks(value) };
  } catch (error) {
    return failed('on-host view (SSM)', error, SOURCE);
  }
}
