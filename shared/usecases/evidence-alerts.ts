/**
 * Alerts & logs branch: the alarm's reason and recent datapoints (as Intake received them), and
 * the recent error lines of the instance's CloudWatch Logs group (medic:log-group) in the alarm
 * window. The pattern narrows the search server-side; the lines are re-checked here because a
 * pattern is only a hint to some backends.
 */
import { MAX_LINE } from '../domain/host-output.ts';
import type { AlertsEvidence, Check, InstanceCase } from '../domain/model.ts';
import type { Clock } from '../domain/timeline.ts';
import type { LogsPort } from '../ports.ts';
import { type Branch, failed, timeBox } from './evidence.ts';
import { evidenceWindow } from './evidence-resources.ts';

export const ERROR_PATTERN =
  '?ERROR ?Error ?error ?FATAL ?Fatal ?fatal ?CRITICAL ?panic ?Exception ?Traceback';
const ERROR_LINE =
  /\b(error|fatal|critical|crit|panic|exception|traceback|oom|out of memory|no space left)\b/i;
export const MAX_ERROR_LINES = 10;
const SCAN_LIMIT = 500;

export interface AlertsDeps {
  logs: LogsPort;
  clock: Clock;
  timeoutMs: number;
  windowMinutes: number;
}

export function alertsChecks(a: AlertsEvidence, logError: string | null): Check[] {
  const checks: Check[] = [];
  if (a.alarm && !a.alarm.name) {
    checks.push({
      name: 'manual request',
      status: 'unknown',
      value: a.alarm.reason.slice(0, MAX_LINE) || 'no reason given',
      source: 'manual run input',
    });
  } else if (a.alarm) {
    checks.push({
      name: `alarm ${a.alarm.name}`,
      status: 'fail',
      value: a.alarm.reason.slice(0, MAX_LINE),
      source: 'CloudWatch alarm state change',
    });
    if (a.alarm.datapoints.length) {
      checks.push({
        name: 'alarm datapoints',
        status: 'fail',
        value: `${a.alarm.datapoints.map((d) => d.value).join(', ')}${a.alarm.threshold !== null ? ` (threshold ${a.alarm.threshold})` : ''}`,
        source: 'CloudWatch alarm state change',
      });
    }
  }
  if (logError) {
    checks.push({
      name: `errors in ${a.logGroup}`,
      status: 'unknown',
      value: `could not check log group ${a.logGroup}: ${logError}`,
      source: 'CloudWatch Logs FilterLogEvents',
    });
  } else if (a.logGroup) {
    const last = a.errorLines.at(-1);
    checks.push({
      name: `errors in ${a.logGroup}`,
      status: a.errorLines.length ? 'fail' : 'pass',
      value: a.errorLines.length
        ? `${a.errorLines.length} error lines in the window; last: ${last?.message.slice(0, 200)}`
        : `no error lines in ${a.scanned} events`,
      source: 'CloudWatch Logs FilterLogEvents',
    });
  } else {
    checks.push({
      name: 'application logs',
      status: 'unknown',
      value: 'not checked: no medic:log-group tag on the instance',
      source: 'instance tags',
    });
  }
  return checks;
}

export async function gatherAlerts(c: InstanceCase, deps: AlertsDeps): Promise<Branch<AlertsEvidence>> {
  try {
    const { start, end } = evidenceWindow(c, deps.clock(), deps.windowMinutes);
    const logGroup = c.target.logGroup ?? null;
    const value: AlertsEvidence = {
      alarm: c.alarm
        ? {
            name: c.alarm.name ?? '',
            reason: c.alarm.reason,
            datapoints: c.alarm.datapoints,
            threshold: c.alarm.threshold,
          }
        : null,
      logGroup,
      window: { start: start.toISOString(), end: end.toISOString() },
      errorLines: [],
      scanned: 0,
    };
    let logError: string | null = null;
    if (logGroup) {
      try {
        const events = await timeBox(`log group ${logGroup}`, deps.timeoutMs, () =>
          deps.logs.filter(logGroup, { start, end, pattern: ERROR_PATTERN, limit: SCAN_LIMIT }),
        );
        value.scanned = events.length;
        value.errorLines = events
          .filter((e) => ERROR_LINE.test(e.message))
          .slice(-MAX_ERROR_LINES)
          .map((e) => ({
            at: e.at,
            stream: e.stream.slice(0, 80),
            message: e.message.length > MAX_LINE ? `${e.message.slice(0, MAX_LINE)}…` : e.message.trimEnd(),
          }));
      } catch (error) {
        logError = `${(error as Error).name}: ${(error as Error).message}`;
      }
    }
    return { ok: true, value, error: null, checks: alertsChecks(value, logError) };
  } catch (error) {
    return failed('alerts and logs', error, 'CloudWatch alarm + Logs');
  }
}
