// serverless.yml: the ARNs of the hosted zones named in `failoverHostedZoneIds` (comma-separated
// ids, `/hostedzone/` prefix allowed), for the failover function's Route 53 policy. CloudFormation
// cannot prefix each element of a list, and Route 53 offers no tag condition to scope by instead.
// With `none` the policy's Condition removes it; the ARN returned then names no zone.
// CloudFormation's own ${...} syntax, kept out of a JavaScript template literal on purpose.
const ZONE_ARN = 'arn:$' + '{AWS::Partition}:route53:::hostedzone/';

module.exports = async ({ resolveVariable }) => {
  const raw = String(await resolveVariable('self:custom.medic.failoverHostedZoneIds'));
  const ids = raw
    .split(',')
    .map((id) => id.trim().replace(/^\/?hostedzone\//, ''))
    .filter((id) => id !== '' && id !== 'none');
  for (const id of ids) {
    if (!/^[A-Z0-9]{1,32}$/.test(id))
      throw new Error(`failoverHostedZoneIds: "${id}" is not a hosted zone id`);
  }
  if (ids.length === 0) return [{ 'Fn::Sub': `${ZONE_ARN}NONE` }];
  return ids.map((id) => ({ 'Fn::Sub': `${ZONE_ARN}${id}` }));
};
