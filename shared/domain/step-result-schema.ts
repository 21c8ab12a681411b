/**
 * The zod schema of an action cycle's result (step-result.ts), for the Tasks that fold it into the
 * case for good: Decide and FileCase.
 */
import * as z from 'zod';
import {
  ActionRecordSchema,
  INSTANCE_OUTCOMES,
  PendingActionSchema,
  ProbeConfigSchema,
  TimelineEntrySchema,
} from './model.ts';
import { STEP_STATUSES, type StepResult } from './step-result.ts';

const ErrorSchema = z.object({ Error: z.string(), Cause: z.string().optional() });

export const StepResultSchema: z.ZodType<StepResult> = z.object({
  status: z.enum(STEP_STATUSES),
  /** The case's action records from this index on are replaced by `actions`. */
  actionsFrom: z.number().int().min(0),
  actions: z.array(ActionRecordSchema),
  timelineFrom: z.number().int().min(0),
  timeline: z.array(TimelineEntrySchema),
  rung: z.number().int().min(0),
  pollsLeft: z.number().int().min(0),
  lastActionAt: z.string().nullable(),
  pending: PendingActionSchema.nullable(),
  verifyProbe: ProbeConfigSchema.nullable(),
  verifySeen: z.record(z.string(), z.string()),
  outcome: z.enum(INSTANCE_OUTCOMES).nullable(),
  leftStopped: z
    .object({ state: z.string(), code: z.string(), message: z.string(), at: z.string() })
    .nullable(),
  /** Set by the ASL Catch of an action Task (`$.result.error`): the call failed unexpectedly. */
  error: ErrorSchema.optional(),
});
