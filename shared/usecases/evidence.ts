/**
 * Evidence branches. Each returns { ok, value, error, checks }: a check that cannot be made is
 * evidence ("could not check X: why"), never a crash of the run.
 */
import type { Check, Ec2Evidence, InstanceCase, Reachability, Vantage } from '../domain/model.ts';
import { amazonDnsAddress, isLoopbackHost, isLoopbackUrl, parseHostPort } from '../domain/net.ts';
import { EvidenceTimeoutError, UnsafeProbeTargetError } from '../errors.ts';
import type { Ec2Port, ProbePort, VpcPort } from '../ports.ts';

export interface Branch<T> {
  ok: boolean;
  value: T | null;
  error: string | null;
  checks: Check[];
}

/** A branch that could not be checked is evidence too: "could not check X: why". */
export function failed<T>(what: string, error: unknown, source: string = what): Branch<T> {
  const message = `${(error as Error).name ?? 'Error'}: ${(error as Error).message ?? String(error)}`;
  return {
    ok: false,
    value: null,
    error: message,
    checks: [{ name: what, status: 'unknown', value: `could not check ${what}: ${message}`, source }],
  };
}

/**
 * Each branch has its own time box, shorter than the Task's TimeoutSeconds, so a slow dependency
 * becomes "could not check X: no answer within N ms" instead of a States.Timeout with no detail.
 */
export async function timeBox<T>(what: string, ms: number, work: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new EvidenceTimeoutError(`${what}: no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work(), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

export interface Ec2Deps {
  ec2: Ec2Port;
  timeoutMs?: number;
}

export async function gatherEc2(c: InstanceCase, deps: Ec2Deps): Promise<Branch<Ec2Evidence>> {
  try {
    const value = await timeBox('EC2 status', deps.timeoutMs ?? 10_000, () =>
      deps.ec2.describeHealth(c.target.instanceId),
    );
    const status = (s: string): Check['status'] =>
      s === 'ok' ? 'pass' : s === 'impaired' ? 'fail' : 'unknown';
    const checks: Check[] = [
      {
        name: 'instance state',
        status: value.state === 'running' ? 'pass' : 'fail',
        value: value.state,
        source: 'EC2 DescribeInstances',
      },
      {
        name: 'system status check',
        status: status(value.systemStatus),
        value: value.systemStatus,
        source: 'EC2 DescribeInstanceStatus',
      },
      {
        name: 'instance status check',
        status: status(value.instanceStatus),
        value: value.instanceStatus,
        source: 'EC2 DescribeInstanceStatus',
      },
      {
        name: 'scheduled events',
        status: value.scheduledEvents.length === 0 ? 'pass' : 'fail',
        value:
          value.scheduledEvents.length === 0
            ? 'none'
            : value.scheduledEvents.map((e) => `${e.code} (${e.notBefore ?? 'n/a'})`).join(', '),
        source: 'EC2 DescribeInstanceStatus',
      },
    ];
    if (value.instanceType || value.availabilityZone) {
      checks.push({
        name: 'placement',
        status: 'pass',
        value: `${value.instanceType ?? 'unknown type'} in ${value.availabilityZone ?? 'unknown AZ'}`,
        source: 'EC2 DescribeInstances',
      });
    }
    if (value.autoScalingGroup !== undefined) {
      checks.push({
        name: 'Auto Scaling group',
        status: 'pass',
        value: value.autoScalingGroup ?? 'none (a single instance: nothing replaces it if it dies)',
        source: 'EC2 tag aws:autoscaling:groupName',
      });
    }
    return { ok: true, value, error: null, checks };
  } catch (error) {
    return failed('EC2 status', error, 'EC2 DescribeInstances + DescribeInstanceStatus');
  }
}

export interface ReachabilityDeps {
  probes: ProbePort;
  timeoutMs: number;
  /** Refuse any probe that would leave loopback (simulate and tests). */
  loopbackOnly: boolean;
  /** The vantage proof; absent: no control probe (the evidence says "unproven"). */
  vantage?: VantageDeps;
}

export interface VantageDeps {
  /** `off`: the deployment does not probe (`--param probes=off`). */
  mode: 'on' | 'off';
  /** Where the control probe goes; null when no target is known. */
  canary(): Promise<{ host: string; port: number } | null>;
  /** The probe function's subnets and security groups as deployed, for the page. */
  from: string | null;
}

/** "subnets a,b; security groups sg-1" from the deployed placement, or null when unknown. */
export function placement(subnetIds: string, securityGroupIds: string): string | null {
  const list = (v: string) =>
    v
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean);
  const subnets = list(subnetIds);
  const groups = list(securityGroupIds);
  if (subnets.length === 0 && groups.length === 0) return null;
  return `subnets ${subnets.join(', ') || 'unknown'}; security groups ${groups.join(', ') || 'unknown'}`;
}

/**
 * The control probe's target: the configured host:port, else the VPC's Amazon DNS resolver (primary
 * CIDR base + 2, TCP 53) looked up once from the probe function's first subnet; cached per container.
 */
export function canaryTarget(
  configured: string | undefined,
  subnetIds: string,
  vpc: VpcPort,
): () => Promise<{ host: string; port: number } | null> {
  let found: Promise<{ host: string; port: number } | null> | undefined;
  return () => {
    if (configured) return Promise.resolve(parseHostPort(configured));
    const subnet = subnetIds.split(',')[0]?.trim();
    if (!subnet) return Promise.resolve(null);
    found ??= vpc.vpcCidrOfSubnet(subnet).then((cidr) => {
      const address = cidr ? amazonDnsAddress(cidr) : null;
      return address ? { host: address, port: 53 } : null;
    });
    // A failed lookup is retried by the next invocation rather than cached.
    found.catch(() => {
      found = undefined;
    });
    return found;
  };
}

const OFF_DETAIL =
  'not checked: this deployment runs with probes=off (medic cannot reach these instances); judged by EC2 status checks, the SSM agent and agent metrics instead';

/** Proves the vantage point: the control probe from the same function, same socket code. */
export async function proveVantage(deps: ReachabilityDeps): Promise<Vantage> {
  const v = deps.vantage;
  if (!v) return { status: 'unproven', canary: null, from: null, detail: 'no control probe configured' };
  const from = v.from;
  if (v.mode === 'off') return { status: 'off', canary: null, from, detail: OFF_DETAIL };
  let target: { host: string; port: number } | null;
  try {
    target = await v.canary();
  } catch (error) {
    return {
      status: 'unproven',
      canary: null,
      from,
      detail: `the control probe's target could not be looked up: ${(error as Error).message}`,
    };
  }
  if (!target)
    return {
      status: 'unproven',
      canary: null,
      from,
      detail: 'no control target known (set MEDIC_PROBE_CANARY or the probe subnets)',
    };
  const canary = `${target.host}:${target.port}`;
  if (deps.loopbackOnly && !isLoopbackHost(target.host)) {
    return {
      status: 'unproven',
      canary,
      from,
      detail: `refusing to probe ${canary}: only loopback targets are allowed here`,
    };
  }
  const r = await deps.probes.tcp(target.host, target.port, { timeoutMs: deps.timeoutMs, readBanner: false });
  return r.tcp === 'open'
    ? { status: 'reached', canary, from, detail: `control probe ${canary} answered in ${r.latencyMs} ms` }
    : {
        status: 'blind',
        canary,
        from,
        detail: `control probe ${canary} did not answer (TCP ${r.tcp}): this function cannot see its own network${from ? ` (${from})` : ''}`,
      };
}

export function vantageCheck(v: Vantage): Check {
  return {
    name: v.status === 'off' ? 'reachability' : `vantage${v.canary ? ` (control probe ${v.canary})` : ''}`,
    status: v.status === 'reached' ? 'pass' : v.status === 'blind' ? 'fail' : 'unknown',
    value: v.detail,
    source: v.status === 'off' ? 'deploy parameter probes=off' : 'TCP connect from the probe function',
  };
}

/** Probe the target; shared by evidence and verification so both judge by the same checks. */
export async function probeTarget(c: InstanceCase, deps: ReachabilityDeps): Promise<Reachability> {
  const { address, ports, sshPort, healthUrl } = c.target.probe;
  if (!address)
    throw new Error('no probe address: the instance has no private IP and no medic:probe-address tag');
  if (deps.loopbackOnly && !isLoopbackHost(address)) {
    throw new UnsafeProbeTargetError(
      `refusing to probe ${address}: only loopback targets are allowed here (set medic:probe-address)`,
    );
  }
  if (deps.loopbackOnly && healthUrl && !isLoopbackUrl(healthUrl)) {
    throw new UnsafeProbeTargetError(
      `refusing to request ${healthUrl}: only loopback targets are allowed here`,
    );
  }
  const [portResults, http] = await Promise.all([
    Promise.all(
      ports.map((port) =>
        deps.probes.tcp(address, port, { timeoutMs: deps.timeoutMs, readBanner: port === sshPort }),
      ),
    ),
    healthUrl ? deps.probes.http(healthUrl, deps.timeoutMs) : Promise.resolve(null),
  ]);
  // sshd answered with its banner (the host's userland is alive) but the health URL was silent for
  // the whole timeout: ask once more before judging the application down (one slow answer on a
  // busy host is not an outage). A hung host (TCP accepted by the kernel, no banner) gets no
  // second wait: that would delay the first action by another timeout.
  const userlandAnswered = portResults.some((p) => p.ssh && p.banner);
  if (healthUrl && http?.status === null && http.error?.startsWith('no answer') && userlandAnswered) {
    const again = await deps.probes.http(healthUrl, deps.timeoutMs);
    return {
      address,
      ports: portResults,
      http: again.status === null ? { ...again, error: `${again.error} (asked twice)` } : again,
    };
  }
  return { address, ports: portResults, http };
}

export function reachabilityChecks(r: Reachability): Check[] {
  const checks: Check[] = r.ports.map((p) => ({
    name: p.ssh ? `SSH ${r.address}:${p.port}` : `TCP ${r.address}:${p.port}`,
    status: p.tcp === 'open' && (!p.ssh || p.banner !== null) ? 'pass' : 'fail',
    value:
      p.tcp !== 'open'
        ? `TCP ${p.tcp}`
        : p.ssh
          ? (p.banner ?? `connected in ${p.latencyMs} ms, no SSH banner`)
          : `connected in ${p.latencyMs} ms`,
    source: p.ssh ? 'TCP connect + SSH banner read' : 'TCP connect',
  }));
  if (r.http) {
    checks.push({
      name: `HTTP ${r.http.url}`,
      status: r.http.ok ? 'pass' : 'fail',
      value:
        r.http.status !== null ? `${r.http.status} in ${r.http.latencyMs} ms` : (r.http.error ?? 'no answer'),
      source: 'HTTP GET health URL',
    });
  }
  return checks;
}

export function isReachable(r: Reachability): boolean {
  return reachabilityChecks(r).every((c) => c.status === 'pass');
}

export async function gatherReachability(
  c: InstanceCase,
  deps: ReachabilityDeps,
): Promise<Branch<Reachability>> {
  try {
    if (deps.vantage?.mode === 'off') {
      // Not checked is not failed: no port, no HTTP result, only the reason why.
      const vantage = await proveVantage(deps);
      const value = { address: c.target.probe.address ?? 'none', ports: [], http: null, vantage };
      return { ok: true, value, error: null, checks: [vantageCheck(vantage)] };
    }
    const [probed, vantage] = await Promise.all([probeTarget(c, deps), proveVantage(deps)]);
    const value = deps.vantage ? { ...probed, vantage } : probed;
    const checks = reachabilityChecks(value);
    // A proven vantage stays in the evidence value (and the assessment's reasons) without a row of
    // its own: the ticket's timeline is size-bounded, and only a vantage that cannot be trusted
    // changes how the other rows read.
    const shown = deps.vantage && vantage.status !== 'reached' ? [vantageCheck(vantage)] : [];
    return { ok: true, value, error: null, checks: [...checks, ...shown] };
  } catch (error) {
    return failed('reachability', error, 'TCP connect / SSH banner / HTTP GET');
  }
}
