/**
 * Identity everywhere: a run in a member account says which account and region in the ticket's
 * summary and labels, the SNS subject and message attributes (subscribers filter on them), and the
 * incident count by account and region (EMF).
 */
import { describe, expect, it } from 'vitest';
import { powertoolsMetrics } from '../shared/adapters/metrics.ts';
import type { IncidentState } from '../shared/domain/model.ts';
import { openedNotification } from '../shared/domain/notifications.ts';
import { ticketLabels, ticketSummary } from '../shared/domain/report.ts';
import { resolvedIncident } from './support/incident.ts';

const inMember = (): IncidentState => {
  const s = resolvedIncident();
  return { ...s, trigger: { ...s.trigger, account: '222222222222', region: 'eu-west-1' } };
};

describe('identity of a run in a member account', () => {
  it('the ticket summary and labels name the account and region', () => {
    // Prepare
    const state = inMember();
    // Act
    const summary = ticketSummary(state, 'resolved');
    const labels = ticketLabels(state);
    // Assess
    expect(summary).toContain('in account 222222222222 eu-west-1');
    expect(labels).toEqual(expect.arrayContaining(['account-222222222222', 'region-eu-west-1']));
  });

  it('the SNS subject names the account; the message attributes carry account and region', () => {
    // Act
    const opened = openedNotification(inMember());
    // Assess
    expect(opened.subject).toMatch(/@222222222222/);
    expect(opened.attributes).toMatchObject({ account: '222222222222', region: 'eu-west-1' });
    expect(opened.body).toMatch(/Where: .*account 222222222222, region eu-west-1/);
  });

  it('counts the incident by account and region, and only the incident count', () => {
    // Prepare
    const lines: string[] = [];
    const metrics = powertoolsMetrics((l) => lines.push(l));
    // Act
    metrics.emit({
      classification: 'os',
      outcome: 'resolved',
      timeToFirstActionSeconds: 10,
      timeToMitigateSeconds: 40,
      actions: 1,
      guardHolds: 0,
      account: '222222222222',
      region: 'eu-west-1',
    });
    // Assess
    const docs = lines.map(
      (l) =>
        JSON.parse(l) as Record<string, unknown> & {
          _aws: { CloudWatchMetrics: { Dimensions: string[][]; Metrics: { Name: string }[] }[] };
        },
    );
    const byPlace = docs.filter((d) => d._aws.CloudWatchMetrics[0]?.Dimensions.flat().includes('account'));
    expect(byPlace).toHaveLength(1);
    expect(byPlace[0]).toMatchObject({ account: '222222222222', region: 'eu-west-1', Incidents: 1 });
    expect(byPlace[0]?._aws.CloudWatchMetrics[0]?.Metrics.map((m) => m.Name)).toEqual(['Incidents']);
  });
});
