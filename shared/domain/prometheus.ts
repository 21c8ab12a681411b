/**
 * What medic asks Prometheus about one instance, as PromQL text. Pure, so the queries and the
 * escaping of the instance label (it comes from an alert label or an instance tag: text anyone who
 * can tag an instance or shape an alert controls) are table-tested without a server.
 */

/**
 * A PromQL string literal holding `value` exactly. PromQL's double-quoted strings take Go's escapes
 * (\\, \", \n, \uXXXX, …), which JSON's are a subset of: a quote or backslash in the value stays
 * inside the literal, so the value can only ever be matched, never read as PromQL.
 */
export function promString(value: string): string {
  return JSON.stringify(value);
}

/**
 * Filesystems that are not disks: memory-backed, pseudo or container layers. The node exporter
 * reports them all; a full tmpfs is not a full disk.
 */
export const NOT_A_DISK_FSTYPES = [
  'tmpfs',
  'devtmpfs',
  'ramfs',
  'overlay',
  'squashfs',
  'nsfs',
  'tracefs',
  'fuse.lxcfs',
  'autofs',
  'proc',
  'sysfs',
] as const;

/** The placeholder MEDIC_PROMETHEUS_SERVICE_QUERY uses for the instance, replaced by a quoted literal. */
export const INSTANCE_PLACEHOLDER = '$instance';

export interface PrometheusQueries {
  up: string;
  /** 1-minute load divided by the number of CPUs (1.0: every CPU busy on average). */
  loadPerCpu: string;
  /** Available over size, per filesystem (1.0: empty, 0.0: full). */
  filesystemAvailable: string;
  /** MemAvailable over MemTotal (1.0: all free). */
  memoryAvailable: string;
  /** The configured service-health query (1 healthy, 0 failing), or null. */
  service: string | null;
}

export function prometheusQueries(instance: string, serviceTemplate: string | null): PrometheusQueries {
  const i = promString(instance);
  const fs = `instance=${i},fstype!~${promString(NOT_A_DISK_FSTYPES.join('|'))}`;
  return {
    up: `up{instance=${i}}`,
    loadPerCpu: `node_load1{instance=${i}} / on(instance) count by (instance) (node_cpu_seconds_total{instance=${i},mode="idle"})`,
    filesystemAvailable: `node_filesystem_avail_bytes{${fs}} / node_filesystem_size_bytes{${fs}}`,
    memoryAvailable: `node_memory_MemAvailable_bytes{instance=${i}} / node_memory_MemTotal_bytes{instance=${i}}`,
    service: serviceTemplate ? serviceTemplate.split(INSTANCE_PLACEHOLDER).join(i) : null,
  };
}

/**
 * The query step for a window: about 60 points whatever the window (Prometheus refuses more than
 * 11,000 points per series), never finer than 15 s (a common scrape interval).
 */
export function queryStepSeconds(start: Date, end: Date): number {
  const seconds = Math.max(1, (end.getTime() - start.getTime()) / 1000);
  return Math.max(15, Math.ceil(seconds / 60));
}

/**
 * The Prometheus instance label for a case: the instance's `medic:prometheus-instance` tag (what
 * its owner said the host is called in Prometheus), else the alert's own `instance` label. Empty
 * or over-long values are not a name.
 */
export function prometheusInstanceFor(
  tag: string | null | undefined,
  alertLabel: string | null | undefined,
): string | null {
  for (const v of [tag, alertLabel]) {
    const t = v?.trim();
    if (t && t.length <= 256) return t;
  }
  return null;
}
