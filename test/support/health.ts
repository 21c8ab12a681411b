// An in-memory memory of open AWS Health issues (the safety store's HEALTH# items), for fakes.
import type { HealthIssue } from '../../shared/domain/health.ts';
import type { HealthIssueRecorder, HealthIssues } from '../../shared/ports.ts';

export function memoryHealth(): HealthIssues &
  HealthIssueRecorder & { items: Map<string, HealthIssue & { until: string }> } {
  const items = new Map<string, HealthIssue & { until: string }>();
  return {
    items,
    openHealthIssues: async (scopes, now) =>
      [...items.values()].filter((i) => scopes.includes(i.scope) && i.until > now.toISOString()),
    rememberHealthIssue: async (scope, issue, until) =>
      void items.set(`${scope}|${issue.eventArn}`, { ...issue, scope, until: until.toISOString() }),
    forgetHealthIssues: async (scope, eventArn) => {
      const keys = [...items.keys()].filter((k) =>
        eventArn === null ? k.startsWith(`${scope}|`) : k === `${scope}|${eventArn}`,
      );
      for (const k of keys) items.delete(k);
      return keys.length;
    },
  };
}
