/** Step Functions callback adapter: a person's approve/reject resumes the paused task. */
import { SendTaskFailureCommand, SendTaskSuccessCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { TaskCallbackPort } from '../ports.ts';
import { callAws } from './aws-errors.ts';

export function taskCallbackAdapter(client: SFNClient): TaskCallbackPort {
  return {
    async succeed(taskToken, output) {
      await callAws('SendTaskSuccess', () =>
        client.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) })),
      );
    },
    async fail(taskToken, error, cause) {
      await callAws('SendTaskFailure', () =>
        client.send(new SendTaskFailureCommand({ taskToken, error, cause: cause.slice(0, 32_000) })),
      );
    },
  };
}
