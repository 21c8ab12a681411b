/** Release Task (issue #5): on every exit path, drop this execution's locks and merge joined alarms. */
import { IncidentStateSchema } from '../shared/domain/model.ts';
import { systemClock } from '../shared/domain/timeline.ts';
import { lambda } from '../shared/lambda.ts';
import { safetyStore } from '../shared/safety.ts';
import { release } from '../shared/usecases/admit.ts';

export const handler = lambda(async (event) => {
  // The catch-all path may arrive with no incident at all (Intake failed): nothing to release.
  const parsed = IncidentStateSchema.safeParse(event);
  if (!parsed.success) return event;
  const released = await release(parsed.data, { store: safetyStore(), clock: systemClock });
  if (released === parsed.data) return event;
  return { ...(event as object), timeline: released.timeline, admission: released.admission };
});
