/** RestartService Task (issue #4): systemctl restart via SSM Run Command, polled by the ASL. */
import { SNSClient } from '@aws-sdk/client-sns';
import { SSMClient } from '@aws-sdk/client-ssm';
import { snsNotifier } from '../shared/adapters/sns.ts';
import { serviceRestartAdapter } from '../shared/adapters/ssm-command.ts';
import { coreConfig } from '../shared/config.ts';
import { InstanceCaseSchema } from '../shared/domain/model.ts';
import { systemClock } from '../shared/domain/timeline.ts';
import { lambda, parseWith } from '../shared/lambda.ts';
import { restartService } from '../shared/usecases/restart-service.ts';

const ssm = serviceRestartAdapter(new SSMClient({}));
const sns = new SNSClient({});

export const handler = lambda(async (event) =>
  restartService(parseWith(InstanceCaseSchema, event, 'RestartService'), {
    ssm,
    notifier: snsNotifier(sns, coreConfig().MEDIC_STAKEHOLDER_TOPIC_ARN),
    clock: systemClock,
  }),
);
