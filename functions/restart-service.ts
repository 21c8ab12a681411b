/** RestartService Task: systemctl restart via SSM Run Command, polled by the ASL. */
import { SSMClient } from '@aws-sdk/client-ssm';
import { serviceRestartAdapter } from '../shared/adapters/ssm-run-command.ts';
import { clientFor } from '../shared/aws-clients.ts';
import { systemClock } from '../shared/domain/timeline.ts';
import { guardedStep } from '../shared/guarded-action.ts';
import { lambda } from '../shared/lambda.ts';
import { tellUsersMidRun } from '../shared/statuspage-port.ts';
import { restartService } from '../shared/usecases/restart-service.ts';

export const handler = lambda(async (event, context) =>
  guardedStep(
    event,
    'restart-service',
    'RestartService',
    async (c, notifier) => {
      // In the alarm's own account and region.
      const ssm = serviceRestartAdapter(await clientFor('ssm', (k) => new SSMClient(k), c));
      return restartService(c, { ssm, notifier, clock: systemClock });
    },
    undefined,
    { context, tell: tellUsersMidRun },
  ),
);
