/**
 * Route 53 failover decisions, pure: which address the record must serve, and which record set to
 * rewrite. A record is read before it is written so that what AWS identifies it by (SetIdentifier)
 * and how it routes (Weight, Failover, Region, health check …) survive the UPSERT: an UPSERT
 * without its SetIdentifier is rejected for a weighted/failover/latency name, or would create a
 * second, plain record beside them.
 */
import type { DnsRecord } from '../ports.ts';

export type Choice<T> = { ok: true; value: T; why: string } | { ok: false; why: string };

/**
 * The address that serves the record's audience: an explicitly configured one (medic:route53-address
 * on the instance), else the standby's public IP for a public zone (its private IP is unreachable
 * from the internet) and its private IP for a private zone (answered inside the VPC only).
 */
export function failoverAddress(input: {
  privateZone: boolean;
  explicit: string | null;
  standby: { privateIp: string | null; publicIp: string | null };
}): Choice<string> {
  if (input.explicit) return { ok: true, value: input.explicit, why: 'configured by medic:route53-address' };
  if (input.privateZone) {
    return input.standby.privateIp
      ? { ok: true, value: input.standby.privateIp, why: "private zone: the standby's private IP" }
      : { ok: false, why: 'private zone, but the standby has no private IP' };
  }
  return input.standby.publicIp
    ? { ok: true, value: input.standby.publicIp, why: "public zone: the standby's public IP" }
    : {
        ok: false,
        why: 'public zone, but the standby has no public IP (its private IP would not answer from the internet); set medic:route53-address',
      };
}

/**
 * The record set to point at the standby: the only A record of that name, or — among weighted,
 * failover or latency sets — the one that serves the sick instance now. An alias record points at
 * an AWS resource, not an address, and is never rewritten.
 */
export function recordToRewrite(records: DnsRecord[], sickAddresses: string[]): Choice<DnsRecord> {
  const plain = records.filter((r) => !r.alias);
  if (plain.length === 0) {
    return {
      ok: false,
      why: records.length > 0 ? 'the record is an alias, which medic does not rewrite' : 'no such A record',
    };
  }
  if (plain.length === 1 && !plain[0]?.setIdentifier)
    return { ok: true, value: plain[0] as DnsRecord, why: 'the record' };
  const serving = plain.filter((r) => r.values.some((v) => sickAddresses.includes(v)));
  if (serving.length === 1) {
    const r = serving[0] as DnsRecord;
    return {
      ok: true,
      value: r,
      why: `the record set ${r.setIdentifier ?? ''} that serves the instance`.replace('  ', ' '),
    };
  }
  return {
    ok: false,
    why: `${plain.length} record sets share the name and ${serving.length} of them serve the instance (${sickAddresses.join(', ') || 'no address'}): medic will not guess which to rewrite`,
  };
}
