/**
 * FileCase: the last step of every case in the Map. The whole case (evidence, timeline, action
 * details) goes to the incident store and the case continues in the state in its compact form, so
 * the Map's output (every case at once) stays far below Step Functions' 256 KiB whatever the
 * targets went through. Record reads the whole cases back.
 */
import { compactCase, fitForStore } from '../domain/case-size.ts';
import type { InstanceCase } from '../domain/model.ts';
import { append, type Clock, entry } from '../domain/timeline.ts';
import type { CaseStorePort } from '../ports.ts';

export async function fileCase(
  c: InstanceCase,
  deps: { store: Pick<CaseStorePort, 'putCase'> | null; clock: Clock },
): Promise<InstanceCase> {
  // No store configured (a local harness without the incidents table): the case stays whole.
  if (!deps.store) return c;
  try {
    await deps.store.putCase(fitForStore(c));
  } catch (error) {
    // Nothing is lost: the case stays whole in the state (large, but the run goes on to Record).
    return {
      ...c,
      timeline: append(
        c.timeline,
        entry(deps.clock, {
          step: 'FileCase',
          kind: 'error',
          instanceId: c.target.instanceId,
          summary: `could not file the case in the incident store (kept whole in the state): ${(error as Error).name}: ${(error as Error).message}`,
        }),
      ),
    };
  }
  return compactCase(c);
}
