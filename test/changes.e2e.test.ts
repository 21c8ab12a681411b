/**
 * End to end, what changed: `medic simulate --scenario changed-security-group` against a real moto
 * server (whose served calls the local CloudTrail reports) and the local Jira. A person revokes the
 * probed port's ingress rule; medic names that change and that person, pages, and does not reboot.
 */
import { describe, expect, it } from 'vitest';
import { OPERATOR_ROLE } from '../local/scenarios.ts';
import { inboxMessages, runMedic, useSubstrate } from './support/substrate.ts';

const s = useSubstrate({ resetEachTest: true });
const ALICE = `arn:aws:sts::123456789012:assumed-role/${OPERATOR_ROLE.split('/').at(-1)}/alice`;
const MUTATING =
  /^(Reboot|Stop|Start|Terminate)Instances$|^(Register|Deregister)Targets$|^SetInstanceHealth$/;

describe('medic simulate --scenario changed-security-group', () => {
  it('names the revoked rule and who revoked it, pages with it, and does not reboot', async () => {
    // Act
    const run = await runMedic(['simulate', '--scenario', 'changed-security-group', '--json'], s.env);
    const result = JSON.parse(run.stdout);
    // Assess: the run, the classification and the page
    expect(run.code, run.stderr).toBe(0);
    expect(result).toMatchObject({ classification: 'recent-change', ticket: { key: expect.any(String) } });
    expect(result.actions.map((a: { kind: string; outcome: string }) => [a.kind, a.outcome])).toEqual([
      ['page', 'paged'],
    ]);
    expect(result.actions[0].detail).toMatch(
      /RevokeSecurityGroupIngress on sg-[0-9a-f]+ \(revoked tcp \d+ from 10\.42\.0\.0\/16\)/,
    );
    expect(result.actions[0].detail).toContain(ALICE);
    // Assess: nothing mutating reached moto from medic (the revoke is the person's, not medic's)
    const calls = await s.moto.calls();
    expect(calls.filter((c) => MUTATING.test(c.action) && c.params.DryRun !== 'true')).toEqual([]);
    expect(calls.filter((c) => c.action === 'LookupEvents').length).toBeGreaterThan(0);
    // Assess: the evidence rows on the timeline carry the change and its actor
    const changes = result.timeline.filter((e: { summary: string }) => e.summary.startsWith('change: '));
    expect(changes.map((e: { summary: string }) => e.summary)).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^change: RevokeSecurityGroupIngress: .* revoked tcp \\d+ .* by ${ALICE.replace(/[/.]/g, '\\$&')}`,
        ),
      ),
    );
    // Assess: the page names the change and the person
    const page = (await inboxMessages(s.moto.endpoint)).find((m) => m.subject.startsWith('[medic] PAGE:'));
    expect(page?.body).toMatch(
      /Why: a recent change explains the symptom, so medic does not act: RevokeSecurityGroupIngress/,
    );
    expect(page?.body).toContain(ALICE);
    // Assess: the ticket has a Recent changes section with the row and the likely cause
    const issue = s.jira.issues().find((i) => i.key === result.ticket.key);
    const description = JSON.stringify(issue?.fields.description);
    expect(description).toContain('Recent changes');
    expect(description).toContain('Likely cause');
    expect(description).toContain(ALICE);
    expect(issue?.fields.labels).toContain('recent-change');
  }, 240_000);
});
