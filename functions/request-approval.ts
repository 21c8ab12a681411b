/**
 * RequestApproval: invoked by AwaitApproval (`lambda:invoke.waitForTaskToken`) with the
 * case and the task token; sends the signed approve/reject links. The execution stays paused until
 * the approval function calls back, or the state's timeout records "timed out".
 */
import { SNSClient } from '@aws-sdk/client-sns';
import * as z from 'zod';
import { snsNotifier } from '../shared/adapters/sns.ts';
import { approvalSecret } from '../shared/approval-secret.ts';
import { approvalConfig, coreConfig } from '../shared/config.ts';
import { InstanceCaseSchema } from '../shared/domain/model.ts';
import { systemClock } from '../shared/domain/timeline.ts';
import { lambda, parseWith } from '../shared/lambda.ts';
import { requestApproval } from '../shared/usecases/approval.ts';

const sns = new SNSClient({});

const Input = z.object({ case: InstanceCaseSchema, taskToken: z.string().min(1) });

export const handler = lambda(async (event) => {
  const input = parseWith(Input, event, 'RequestApproval');
  return requestApproval(input.case, input.taskToken, {
    notifier: snsNotifier(sns, coreConfig().MEDIC_STAKEHOLDER_TOPIC_ARN),
    clock: systemClock,
    baseUrl: approvalConfig().MEDIC_APPROVAL_URL,
    secret: await approvalSecret(),
  });
});
