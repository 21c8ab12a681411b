/**
 * Admit Task (issue #5): dedupe, OK transitions, fleet guard, per-instance lock — before any notice.
 * No Jira client here (issue #8: it tripled the bundle of a function every incident cold-starts):
 * a storm pages at once over SNS and its summary ticket goes through the outbox.
 */
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { SNSClient } from '@aws-sdk/client-sns';
import * as z from 'zod';
import { autoScalingAdapter } from '../shared/adapters/autoscaling.ts';
import { snsNotifier } from '../shared/adapters/sns.ts';
import { coreConfig } from '../shared/config.ts';
import { IncidentStateSchema } from '../shared/domain/model.ts';
import { systemClock } from '../shared/domain/timeline.ts';
import { lambda, parseWith } from '../shared/lambda.ts';
import { guardSettings, lockLeaseMs, safetyStore } from '../shared/safety.ts';
import { admit } from '../shared/usecases/admit.ts';

const sns = new SNSClient({});
const autoScaling = autoScalingAdapter(new AutoScalingClient({}));

const Input = z.object({ state: IncidentStateSchema, executionId: z.string().min(1) });

export const handler = lambda(async (event) => {
  const { state, executionId } = parseWith(Input, event, 'Admit');
  return admit(state, executionId, {
    store: safetyStore(),
    clock: systemClock,
    settings: guardSettings(),
    notifier: snsNotifier(sns, coreConfig().MEDIC_STAKEHOLDER_TOPIC_ARN),
    leaseMs: lockLeaseMs(),
    groupSize: async (group) => (await autoScaling.inServiceInstances([group])).length,
  });
});
