/** SNS adapter: stakeholder notifications, with attributes so subscribers can filter. */
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { phoneSubject } from '../domain/notifications.ts';
import type { NotifierPort } from '../ports.ts';
import { callAws } from './aws-errors.ts';

/** SNS limits: subject ≤ 100 chars of printable ASCII (phoneSubject enforces it), message ≤ 256 KB. */
const safeSubject = phoneSubject;

export function snsNotifier(client: SNSClient, topicArn: string): NotifierPort {
  return {
    async publish(n) {
      const body = n.body.length > 200_000 ? `${n.body.slice(0, 200_000)}\n…(truncated)` : n.body;
      const out = await callAws('Publish', () =>
        client.send(
          new PublishCommand({
            TopicArn: topicArn,
            Subject: safeSubject(n.subject),
            Message: body,
            MessageAttributes: Object.fromEntries(
              Object.entries<string>({ severity: n.severity, ...n.attributes })
                .filter(([, v]) => v !== '')
                .map(([k, v]) => [k, { DataType: 'String', StringValue: v }]),
            ),
          }),
        ),
      );
      return { messageId: out.MessageId ?? 'unknown' };
    },
  };
}
