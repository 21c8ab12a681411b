/**
 * How `medic start --follow` and `medic status` show an execution: one line per state entered or
 * failed, then the incident's outcome, ticket and timeline from the execution output. Pure.
 */
import type { HistoryEvent } from '@aws-sdk/client-sfn';

export const TERMINAL_EVENTS = new Set([
  'ExecutionSucceeded',
  'ExecutionFailed',
  'ExecutionTimedOut',
  'ExecutionAborted',
]);

const clock = (d: Date | undefined) => (d ? d.toISOString().slice(11, 23) : '--:--:--.---');

export function eventLine(event: HistoryEvent): string | null {
  const type = event.type ?? '';
  const at = clock(event.timestamp);
  if (type.endsWith('StateEntered')) {
    return `${at}  → ${event.stateEnteredEventDetails?.name ?? '?'}`;
  }
  if (type === 'MapIterationStarted')
    return `${at}    instance case ${event.mapIterationStartedEventDetails?.index ?? '?'} started`;
  if (type === 'TaskSubmitted' || type === 'TaskScheduled') {
    const resource = event.taskScheduledEventDetails?.resource ?? '';
    return resource.endsWith('.waitForTaskToken')
      ? `${at}    waiting for an operator (medic approve|reject <token>)`
      : null;
  }
  if (/Failed$|TimedOut$/.test(type) && type !== 'ExecutionFailed' && type !== 'ExecutionTimedOut') {
    const details =
      event.lambdaFunctionFailedEventDetails ??
      event.taskFailedEventDetails ??
      event.taskTimedOutEventDetails;
    return `${at}  ! ${type}${details ? `: ${details.error ?? ''} ${(details.cause ?? '').slice(0, 200)}` : ''}`;
  }
  if (TERMINAL_EVENTS.has(type)) return `${at}  ■ ${type.replace('Execution', 'execution ').toLowerCase()}`;
  return null;
}

interface IncidentOutput {
  incidentId?: string;
  outcome?: string;
  ticket?: { key: string; url: string | null } | null;
  timeline?: { at: string; kind: string; summary: string; instanceId?: string }[];
  error?: { Error: string; Cause?: string };
}

export function asIncident(output: unknown): IncidentOutput | null {
  return output && typeof output === 'object' && !Array.isArray(output) ? (output as IncidentOutput) : null;
}

export function renderOutcome(
  status: string,
  output: unknown,
  error: string | null,
  cause: string | null,
): string {
  const incident = asIncident(output);
  const lines = [
    '',
    `Execution ${status}${incident?.outcome ? ` — outcome: ${incident.outcome.toUpperCase()}` : ''}`,
  ];
  if (incident?.incidentId) lines.push(`  incident: ${incident.incidentId}`);
  lines.push(
    `  ticket:   ${incident?.ticket ? `${incident.ticket.key}${incident.ticket.url ? ` (${incident.ticket.url})` : ''}` : 'not filed'}`,
  );
  if (error) lines.push(`  error:    ${error}${cause ? `: ${cause.slice(0, 500)}` : ''}`);
  if (incident?.timeline?.length) {
    lines.push('', 'Timeline (UTC):');
    for (const e of incident.timeline) {
      lines.push(`  ${e.at}  ${e.kind.padEnd(10)} ${e.instanceId ? `${e.instanceId}: ` : ''}${e.summary}`);
    }
  }
  return lines.join('\n');
}

/**
 * Exit codes: 0 handled (resolved, self-recovered, dry-run); 3 a person is needed (escalated,
 * held); 1 the execution failed, timed out or was aborted, or the outcome is unknown.
 */
export function exitCodeFor(status: string, output: unknown): number {
  if (status !== 'SUCCEEDED') return 1;
  const outcome = asIncident(output)?.outcome ?? '';
  if (['resolved', 'self-recovered', 'dry-run'].includes(outcome)) return 0;
  if (['escalated', 'held'].includes(outcome)) return 3;
  return 1;
}
