/**
 * The on-host view: the read-only shell script medic sends through SSM Run Command, and the pure
 * parser that turns its output into structured, bounded evidence. Section markers make the parse
 * robust to a missing tool (no journalctl, no systemd): that section is simply empty.
 */
import type { HostEvidence } from './model.ts';

const MARK = '@@medic:';
/**
 * Bounds keep one case's evidence to a few KB: Map collects up to 20 cases into one Step Functions
 * state, which must stay under 256 KB.
 */
export const MAX_LOG_LINES = 10;
export const MAX_LINE = 160;
const MAX_UNITS = 10;
const MAX_DISKS = 10;

/**
 * The Run Command comment of medic's evidence script: it marks the command as read-only, so call
 * records (moto's, CloudTrail's) can tell it from a mitigating SendCommand such as a restart.
 */
export const READ_ONLY_COMMAND_COMMENT = 'medic: read-only evidence (df, free, systemctl, journal)';

/**
 * systemd unit names only: the tag's value is interpolated into a shell command line. The first
 * character is a letter or digit, so a value such as `--host=evil` or `-H x` can never be read by
 * systemctl as an option (quoting does not stop that: it is still one argument starting with -).
 */
const UNIT = /^[A-Za-z0-9][A-Za-z0-9@._:-]{0,127}$/;

export function isSafeUnitName(name: string): boolean {
  return UNIT.test(name);
}

/** Why a `medic:service` value is refused, or null when it is a unit name medic will pass on. */
export function unitNameProblem(name: string): string | null {
  if (isSafeUnitName(name)) return null;
  const shown = JSON.stringify(name.length > 60 ? `${name.slice(0, 60)}…` : name);
  return `medic:service ${shown} is not a systemd unit name (a letter or digit first, then letters, digits, @ . _ : -, at most 128): medic will not pass it to systemctl`;
}

/** Read-only commands; each section bounded with head/tail so the output stays small. */
export function hostScript(service: string | null): string[] {
  const lines = [
    `echo '${MARK}df'; df -P -x tmpfs -x devtmpfs -x squashfs -x overlay 2>&1 | head -n 40`,
    `echo '${MARK}mem'; free -m 2>&1 | head -n 4`,
    `echo '${MARK}failed'; systemctl list-units --state=failed --no-legend --plain 2>&1 | head -n ${MAX_UNITS}`,
  ];
  if (service && isSafeUnitName(service)) {
    lines.push(`echo '${MARK}service'; systemctl is-active '${service}' 2>&1 | head -n 1`);
  }
  lines.push(
    `echo '${MARK}log'; (journalctl -p warning -n ${MAX_LOG_LINES} --no-pager -o short-iso 2>/dev/null || tail -q -n ${MAX_LOG_LINES} /var/log/syslog /var/log/messages 2>/dev/null) | tail -n ${MAX_LOG_LINES}`,
  );
  return lines;
}

function sections(stdout: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let current: string[] | null = null;
  for (const raw of stdout.split(/\r?\n/)) {
    if (raw.startsWith(MARK)) {
      current = [];
      out.set(raw.slice(MARK.length).trim(), current);
    } else if (current && raw.trim() !== '') {
      current.push(raw);
    }
  }
  return out;
}

function clip(line: string): { text: string; cut: boolean } {
  return line.length > MAX_LINE
    ? { text: `${line.slice(0, MAX_LINE)}…`, cut: true }
    : { text: line, cut: false };
}

export type ParsedHost = Pick<
  HostEvidence,
  'disks' | 'memory' | 'failedUnits' | 'service' | 'logTail' | 'truncated'
>;

export function parseHostOutput(stdout: string, service: string | null): ParsedHost {
  const s = sections(stdout);
  let truncated = false;

  const disks: HostEvidence['disks'] = [];
  for (const line of s.get('df') ?? []) {
    // Filesystem 1024-blocks Used Available Capacity Mounted-on (the mount point may hold spaces)
    const m = /^\S+\s+\d+\s+\d+\s+\d+\s+(\d+)%\s+(.+)$/.exec(line.trim());
    if (m?.[1] && m[2]) disks.push({ mount: m[2].slice(0, 80), usedPercent: Number(m[1]) });
  }
  if (disks.length > MAX_DISKS) truncated = true;

  let memory: HostEvidence['memory'] = null;
  const memLine = (s.get('mem') ?? []).find((l) => /^Mem:/.test(l.trim()));
  if (memLine) {
    const n = memLine.trim().split(/\s+/).slice(1).map(Number);
    const total = n[0];
    // `available` (column 6) is what the kernel can hand out; older free(1) has no such column.
    const available = n.length >= 6 ? n[5] : n[2];
    if (total && total > 0 && available !== undefined && Number.isFinite(available)) {
      memory = {
        totalMb: total,
        availableMb: available,
        usedPercent: Math.round(((total - available) / total) * 1000) / 10,
      };
    }
  }

  const failedUnits = (s.get('failed') ?? [])
    .map(
      (l) =>
        l
          .trim()
          .replace(/^[●*]\s*/, '')
          .split(/\s+/)[0] ?? '',
    )
    .filter((u) => /\.(service|mount|socket|timer|target|path|scope|slice|swap|device)$/.test(u))
    .slice(0, MAX_UNITS);

  const state = (s.get('service') ?? [])[0]?.trim();
  const parsedService = service && state ? { name: service, state: state.slice(0, 40) } : null;

  const rawLog = s.get('log') ?? [];
  if (rawLog.length > MAX_LOG_LINES) truncated = true;
  const logTail = rawLog.slice(-MAX_LOG_LINES).map((l) => {
    const c = clip(l);
    if (c.cut) truncated = true;
    return c.text;
  });

  return {
    disks: disks.slice(0, MAX_DISKS),
    memory,
    failedUnits,
    service: parsedService,
    logTail,
    truncated,
  };
}
