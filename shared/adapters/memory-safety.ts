/**
 * The safety store in memory: the same ports as the DynamoDB adapter (shared/adapters/safety/),
 * with the same conditional semantics (one claim per episode, a lock taken when free, expired or
 * already ours, one storm leader per window, one claim per action), held in maps. For `medic
 * replay`, which must judge a historical stream exactly as admission and the bounds would and
 * write nothing anywhere.
 */
import type { HealthIssue } from '../domain/health.ts';
import type { TimelineEntry } from '../domain/model.ts';
import type { OutboxItem, SafetyStorePort } from '../ports.ts';

export interface MemorySafetyStore extends SafetyStorePort {
  /** The actions claimed, per instance, with when (what a replay reports). */
  readonly claimed: ReadonlyMap<string, readonly Date[]>;
}

export function memorySafetyStore(): MemorySafetyStore {
  const episodes = new Map<string, string>();
  const locks = new Map<
    string,
    { owner: string; executionId: string; leaseUntil: number; joined: TimelineEntry[] }
  >();
  const history = new Map<string, { at: Date; key: string }[]>();
  const closed = new Map<string, Date>();
  const fleet = new Map<
    string,
    { instanceId: string; episodeKey: string; at: string; group?: string | null }
  >();
  const storms = new Map<string, Date>();
  const actions = new Map<string, Map<string, Date>>();
  const outbox = new Map<string, OutboxItem>();
  const claimed = new Map<string, Date[]>();
  const health = new Map<string, Map<string, HealthIssue & { until: number }>>();
  return {
    claimed,
    async claimEpisode(key, executionId) {
      const holder = episodes.get(key);
      if (holder === undefined) {
        episodes.set(key, executionId);
        return 'new';
      }
      return holder === executionId ? 'retry' : 'duplicate';
    },
    async acquireLock(instanceId, owner, now, leaseMs) {
      const current = locks.get(instanceId);
      if (current && current.leaseUntil >= now.getTime() && current.executionId !== owner.executionId)
        return { acquired: false, holder: current.owner };
      locks.set(instanceId, {
        owner: owner.episodeKey,
        executionId: owner.executionId,
        leaseUntil: now.getTime() + leaseMs,
        joined: [],
      });
      return {
        acquired: true,
        tookOverFrom: current && current.owner !== owner.episodeKey ? current.owner : null,
      };
    },
    async joinLock(instanceId, entry) {
      const current = locks.get(instanceId);
      if (!current) return null;
      current.joined.push(entry);
      return current.owner;
    },
    async releaseLock(instanceId, episodeKey) {
      const current = locks.get(instanceId);
      if (!current || current.owner !== episodeKey) return null;
      locks.delete(instanceId);
      return current.joined;
    },
    async recordEpisode(instanceId, episodeKey, at) {
      const list = history.get(instanceId) ?? [];
      if (!list.some((e) => e.key === episodeKey)) list.push({ at, key: episodeKey });
      history.set(instanceId, list);
    },
    async markClosed(instanceId, at) {
      closed.set(instanceId, at);
    },
    async episodesSince(instanceId, since) {
      return (history.get(instanceId) ?? []).filter((e) => e.at.getTime() >= since.getTime()).length;
    },
    async lastClosed(instanceId) {
      return closed.get(instanceId) ?? null;
    },
    async registerFleet(instanceId, episodeKey, at, group) {
      // Keyed per instance and 5-minute bucket, as the table keeps it (a retry does not count twice).
      const bucket = Math.floor(at.getTime() / 300_000);
      fleet.set(`${bucket}#${instanceId}`, { instanceId, episodeKey, at: at.toISOString(), group });
    },
    async fleetSince(since, until) {
      const from = since.toISOString();
      const to = until.toISOString();
      return [...fleet.values()].filter((e) => e.at >= from && e.at <= to);
    },
    async stormsAt(stormKeys) {
      return new Map(stormKeys.flatMap((k) => (storms.has(k) ? [[k, storms.get(k) as Date] as const] : [])));
    },
    async claimStorm(stormKey, _leader, at) {
      if (storms.has(stormKey)) return false;
      storms.set(stormKey, at);
      return true;
    },
    async claimAction(instanceId, actionKey, at) {
      const mine = actions.get(instanceId) ?? new Map<string, Date>();
      if (mine.has(actionKey)) return false;
      mine.set(actionKey, at);
      actions.set(instanceId, mine);
      claimed.set(instanceId, [...(claimed.get(instanceId) ?? []), at]);
      return true;
    },
    async unclaimAction(instanceId, actionKey) {
      actions.get(instanceId)?.delete(actionKey);
    },
    async actionsSince(instanceId, since, exceptKey) {
      return [...(actions.get(instanceId) ?? new Map<string, Date>()).entries()].filter(
        ([k, at]) => k !== exceptKey && at.getTime() >= since.getTime(),
      ).length;
    },
    async enqueueOutbox(item) {
      outbox.set(item.episodeKey, item);
    },
    async dueOutbox(now, limit) {
      return [...outbox.values()].filter((i) => i.nextAttemptAt <= now.toISOString()).slice(0, limit);
    },
    async leaseOutbox(episodeKey, expectedNext, until) {
      const item = outbox.get(episodeKey);
      if (!item || item.nextAttemptAt !== expectedNext) return false;
      outbox.set(episodeKey, { ...item, nextAttemptAt: until.toISOString() });
      return true;
    },
    async rescheduleOutbox(episodeKey, attempts, next, lastError) {
      const item = outbox.get(episodeKey);
      if (item) outbox.set(episodeKey, { ...item, attempts, nextAttemptAt: next.toISOString(), lastError });
    },
    async deleteOutbox(episodeKey) {
      outbox.delete(episodeKey);
    },
    async openHealthIssues(scopes, now) {
      return scopes.flatMap((scope) =>
        [...(health.get(scope)?.values() ?? [])]
          .filter((i) => i.until > now.getTime())
          .map(({ until: _until, ...issue }) => issue),
      );
    },
    async rememberHealthIssue(scope, issue, until) {
      const issues = health.get(scope) ?? new Map();
      issues.set(issue.eventArn, { ...issue, scope, until: until.getTime() });
      health.set(scope, issues);
    },
    async forgetHealthIssues(scope, eventArn) {
      const issues = health.get(scope);
      if (!issues) return 0;
      if (eventArn === null) {
        health.delete(scope);
        return issues.size;
      }
      return issues.delete(eventArn) ? 1 : 0;
    },
  };
}
