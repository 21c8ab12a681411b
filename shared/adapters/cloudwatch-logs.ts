/** CloudWatch Logs adapter: recent events of one log group (FilterLogEvents, bounded). */
import { type CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import type { LogEvent, LogsPort } from '../ports.ts';
import { callAws } from './aws-errors.ts';

const MAX_PAGES = 5;

export function cloudWatchLogsAdapter(client: CloudWatchLogsClient): LogsPort {
  return {
    async filter(logGroup, { start, end, pattern, limit }) {
      const out: LogEvent[] = [];
      let token: string | undefined;
      for (let page = 0; page < MAX_PAGES && out.length < limit; page++) {
        const res = await callAws('FilterLogEvents', () =>
          client.send(
            new FilterLogEventsCommand({
              logGroupName: logGroup,
              startTime: start.getTime(),
              endTime: end.getTime(),
              filterPattern: pattern,
              limit: Math.min(limit - out.length, 1_000),
              nextToken: token,
            }),
          ),
        );
        for (const e of res.events ?? []) {
          out.push({
            at: new Date(e.timestamp ?? 0).toISOString(),
            stream: e.logStreamName ?? '',
            message: e.message ?? '',
          });
        }
        token = res.nextToken;
        if (!token) break;
      }
      return out.slice(0, limit);
    },
  };
}
