/** Assess Task: evidence in, classification and plan out (a pure decision). */
import * as z from 'zod';
import { EvidenceSchema, InstanceCaseSchema } from '../shared/domain/model.ts';
import { systemClock } from '../shared/domain/timeline.ts';
import { lambda, parseWith } from '../shared/lambda.ts';
import { assessCase } from '../shared/usecases/assess-case.ts';

const Input = InstanceCaseSchema.extend({
  /** The GatherEvidence Parallel's result: one entry per branch, in branch order. */
  evidenceBranches: z.tuple([
    EvidenceSchema.shape.ec2,
    EvidenceSchema.shape.reachability,
    EvidenceSchema.shape.metrics.unwrap(),
    EvidenceSchema.shape.host.unwrap(),
    EvidenceSchema.shape.alerts.unwrap(),
  ]),
});

export const handler = lambda(async (event) => {
  const { evidenceBranches, ...c } = parseWith(Input, event, 'Assess');
  const [ec2, reachability, metrics, host, alerts] = evidenceBranches;
  return assessCase(c, { ec2, reachability, metrics, host, alerts }, systemClock);
});
