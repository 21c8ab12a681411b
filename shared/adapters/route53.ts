/** Route 53 adapter (issue #4): point the service's record at the standby. */
import { ChangeResourceRecordSetsCommand, type Route53Client } from '@aws-sdk/client-route-53';
import type { DnsPort } from '../ports.ts';
import { callAws } from './aws-errors.ts';

export function route53Adapter(client: Route53Client): DnsPort {
  return {
    async upsertA(zoneId, recordName, address) {
      const out = await callAws('ChangeResourceRecordSets', () =>
        client.send(
          new ChangeResourceRecordSetsCommand({
            HostedZoneId: zoneId,
            ChangeBatch: {
              Comment: 'medic failover to standby',
              Changes: [
                {
                  Action: 'UPSERT',
                  ResourceRecordSet: {
                    Name: recordName,
                    Type: 'A',
                    TTL: 60,
                    ResourceRecords: [{ Value: address }],
                  },
                },
              ],
            },
          }),
        ),
      );
      return out.ChangeInfo?.Id ?? 'unknown';
    },
  };
}
