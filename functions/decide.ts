/**
 * Decide Task: the per-instance loop's one decision step. First pass: evidence in, classification
 * and plan out. Later passes: the last step's result folded in. Then the ladder's gates (opt-in,
 * autonomy, the kill switch, approval) and the console capture before a destructive action; the
 * answer is the case with the move the WhatNow? Choice dispatches on.
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { SSMClient } from '@aws-sdk/client-ssm';
import * as z from 'zod';
import { ec2Adapter } from '../shared/adapters/ec2.ts';
import { pauseAlarm } from '../shared/adapters/pause-alarm.ts';
import { pauseSwitch } from '../shared/adapters/pause-switch.ts';
import { okNotes } from '../shared/adapters/safety/ok-notes.ts';
import { lowLevelOutbox } from '../shared/adapters/safety/outbox-put.ts';
import { clientFor } from '../shared/aws-clients.ts';
import {
  killSwitchConfig,
  learningConfig,
  orgConfig,
  perEnvironment,
  safetyConfig,
} from '../shared/config.ts';
import { EvidenceSchema, InstanceCaseSchema } from '../shared/domain/model.ts';
import { systemClock } from '../shared/domain/timeline.ts';
import { deadlineOf, lambda, parseWith } from '../shared/lambda.ts';
import { decidePublishes } from '../shared/policy/statuspage.ts';
import type { OkNotesPort, Outbox, PauseSwitchPort } from '../shared/ports.ts';
import { tellUsersMidRun } from '../shared/statuspage-port.ts';
import { decide } from '../shared/usecases/decide.ts';

let switches: PauseSwitchPort[] | undefined;

/** The stage's kill switch (`medic pause`), and the pause alarm when MEDIC_PAUSE_ALARM names one. */
function pauseSwitches(): PauseSwitchPort[] {
  if (switches) return switches;
  const c = killSwitchConfig();
  switches = [
    pauseSwitch(new SSMClient({}), c.MEDIC_PAUSE_PARAMETER, {
      maxAgeMs: c.MEDIC_PAUSE_CACHE_SECONDS * 1_000,
    }),
  ];
  if (c.MEDIC_PAUSE_ALARM) switches.push(pauseAlarm(new CloudWatchClient({}), c.MEDIC_PAUSE_ALARM));
  return switches;
}

/** The OK notes on the incident's lock item (safety table), read only in front of a later rung. */
const notes = /* @__PURE__ */ perEnvironment(
  (): OkNotesPort => okNotes(new DynamoDBClient({}), safetyConfig().MEDIC_SAFETY_TABLE),
);

/** The Jira outbox on the safety table: a planned incident's ticket, queued before the wait. */
const outbox = /* @__PURE__ */ perEnvironment(
  (): Outbox => lowLevelOutbox(new DynamoDBClient({}), safetyConfig().MEDIC_SAFETY_TABLE),
);

const Input = InstanceCaseSchema.extend({
  /** The GatherEvidence Parallel's result on the first pass: one entry per branch, in branch order. */
  evidenceBranches: z
    .tuple([
      EvidenceSchema.shape.ec2,
      EvidenceSchema.shape.reachability,
      EvidenceSchema.shape.metrics.unwrap(),
      EvidenceSchema.shape.host.unwrap(),
      EvidenceSchema.shape.alerts.unwrap(),
    ])
    .optional(),
  /** Decide's previous answer: what the last step was. */
  move: z.object({ kind: z.string(), action: z.string().optional() }).passthrough().nullable().optional(),
  /** What the last step answered (ResultPath $.result). */
  result: z.unknown().optional(),
});

export const handler = lambda(async (event, context) => {
  const deadline = deadlineOf(context);
  const { evidenceBranches, move, result, ...c } = parseWith(Input, event, 'Decide');
  const evidence = evidenceBranches
    ? (([ec2Branch, reachability, metrics, host, alerts]) => ({
        ec2: ec2Branch,
        reachability,
        metrics,
        host,
        alerts,
      }))(evidenceBranches)
    : undefined;
  const decided = await decide(
    {
      c,
      ...(evidence ? { evidence } : {}),
      ...(move ? { move } : {}),
      ...(result !== undefined ? { result } : {}),
    },
    {
      // The console is read in the alarm's own account and region, only when a destructive rung needs it.
      ec2: {
        consoleOutput: async (id) =>
          ec2Adapter(await clientFor('ec2', (k) => new EC2Client(k), c)).consoleOutput(id),
      },
      clock: systemClock,
      pause: pauseSwitches(),
      recurrenceWindowMs: learningConfig().MEDIC_RECURRENCE_HOURS * 3_600_000,
      // After a planned incident's wait: the instance as it is now, in its own account and region.
      plannedLook: { ec2: async () => ec2Adapter(await clientFor('ec2', (k) => new EC2Client(k), c)) },
      plannedTicket: { enqueueOutbox: (item) => outbox().enqueueOutbox(item) },
      ok: {
        notes: { newestOk: (key) => notes().newestOk(key) },
        home: { account: orgConfig().MEDIC_CENTRAL_ACCOUNT, region: orgConfig().AWS_REGION },
      },
    },
  );
  // Users hear of a confirmed impact now, not after an approval; before an action, the action's
  // step tells them once it has acted.
  return decidePublishes(evidence !== undefined, decided.move.kind)
    ? tellUsersMidRun(decided, null, 'Decide', deadline)
    : decided;
});
