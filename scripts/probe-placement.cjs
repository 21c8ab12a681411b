// osls plugin (serverless.yml: plugins): where the probe functions run.
//
// A Lambda outside the VPC cannot open a socket to a private IP: every TCP/SSH/HTTP probe times
// out, and a healthy fleet looks unreachable. So the functions that declare `vpc:` in serverless.yml
// (the ones that open sockets to instances) are attached to the fleet's VPC through the deploy
// parameters `probeSubnetIds` and `probeSecurityGroupIds`, and packaging refuses to build blind
// probes: without both parameters it stops with one line naming them and the way out,
// `--param probes=off`. With probes=off the `vpc:` blocks and the network-interface permissions
// (statements whose Sid starts with ProbeNetworkInterfaces) are dropped and the functions are told so
// (MEDIC_PROBES=off): reachability becomes "not checked", never "failed".
'use strict';

const ENI_SID = 'ProbeNetworkInterfaces';

function list(value) {
  return String(value ?? '')
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '' && v !== 'none');
}

/** Pure: what to do for a resolved configuration. Exported for the unit test. */
function probePlacement(medic) {
  const probes = String(medic?.probes ?? 'on');
  if (probes !== 'on' && probes !== 'off') {
    return { error: `medic: --param probes must be "on" or "off", not "${probes}"` };
  }
  const subnets = list(medic?.probeSubnetIds);
  const groups = list(medic?.probeSecurityGroupIds);
  if (probes === 'off') return { probes, subnets: [], groups: [] };
  const missing = [
    subnets.length === 0 ? 'probeSubnetIds' : null,
    groups.length === 0 ? 'probeSecurityGroupIds' : null,
  ].filter(Boolean);
  if (missing.length > 0) {
    return {
      error: `medic: the probe functions need the fleet's VPC: set --param ${missing.map((m) => `${m}=…`).join(' --param ')} (comma-separated ids; both probeSubnetIds and probeSecurityGroupIds), or --param probes=off for a fleet medic cannot reach (reachability is then "not checked")`,
    };
  }
  return { probes, subnets, groups };
}

class ProbePlacementPlugin {
  constructor(serverless) {
    this.serverless = serverless;
    this.hooks = {
      'before:package:initialize': () => this.apply(),
    };
  }

  apply() {
    const service = this.serverless.service;
    const decision = probePlacement(service.custom?.medic);
    if (decision.error) {
      const ServerlessError = this.serverless.classes?.Error ?? Error;
      throw new ServerlessError(decision.error, 'MEDIC_PROBE_PLACEMENT');
    }
    if (decision.probes === 'on') return;
    for (const fn of Object.values(service.functions ?? {})) {
      if (fn && typeof fn === 'object' && 'vpc' in fn) delete fn.vpc;
    }
    for (const resource of Object.values(service.resources?.Resources ?? {})) {
      if (resource?.Type !== 'AWS::IAM::Role') continue;
      for (const policy of resource.Properties?.Policies ?? []) {
        const document = policy.PolicyDocument;
        if (Array.isArray(document?.Statement))
          document.Statement = document.Statement.filter((s) => !String(s?.Sid ?? '').startsWith(ENI_SID));
      }
    }
  }
}

module.exports = ProbePlacementPlugin;
module.exports.probePlacement = probePlacement;
