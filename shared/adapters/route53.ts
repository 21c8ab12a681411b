/** Route 53 adapter: read the zone and the record, point the record at the standby. */
import {
  ChangeResourceRecordSetsCommand,
  GetHostedZoneCommand,
  ListResourceRecordSetsCommand,
  type ResourceRecordSet,
  type Route53Client,
} from '@aws-sdk/client-route-53';
import type { DnsPort, DnsRecord } from '../ports.ts';
import { callAws } from './aws-errors.ts';

/** Route 53 returns names with a trailing dot: compare them without it, case-insensitively. */
const canonical = (name: string) => name.toLowerCase().replace(/\.$/, '');

function toRecord(r: ResourceRecordSet): DnsRecord {
  // Everything but name, type, TTL, values and identity is routing (Weight, Failover, Region,
  // GeoLocation, HealthCheckId, …): carried as read, so a field added to Route 53 later survives too.
  const { Name, Type, TTL, ResourceRecords, SetIdentifier, AliasTarget, ...routing } = r;
  return {
    name: Name ?? '',
    type: Type ?? '',
    ttl: TTL ?? null,
    values: (ResourceRecords ?? []).flatMap((v) => (v.Value ? [v.Value] : [])),
    setIdentifier: SetIdentifier ?? null,
    routing,
    alias: Boolean(AliasTarget),
  };
}

export function route53Adapter(client: Route53Client): DnsPort {
  return {
    async zone(zoneId) {
      const out = await callAws('GetHostedZone', () => client.send(new GetHostedZoneCommand({ Id: zoneId })));
      return { privateZone: out.HostedZone?.Config?.PrivateZone === true };
    },
    async records(zoneId, recordName, type) {
      // Record sets are listed in name order from StartRecordName: one page holds every set of this
      // name and type (Route 53 allows at most 100 weighted/latency sets per name and type).
      const out = await callAws('ListResourceRecordSets', () =>
        client.send(
          new ListResourceRecordSetsCommand({
            HostedZoneId: zoneId,
            StartRecordName: recordName,
            StartRecordType: type as ResourceRecordSet['Type'],
            MaxItems: 100,
          }),
        ),
      );
      return (out.ResourceRecordSets ?? [])
        .filter((r) => canonical(r.Name ?? '') === canonical(recordName) && r.Type === type)
        .map(toRecord);
    },
    async upsert(zoneId, record) {
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
                    ...record.routing,
                    Name: record.name,
                    Type: record.type as ResourceRecordSet['Type'],
                    TTL: record.ttl ?? 60,
                    ResourceRecords: record.values.map((Value) => ({ Value })),
                    ...(record.setIdentifier ? { SetIdentifier: record.setIdentifier } : {}),
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
