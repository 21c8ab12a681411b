/**
 * End to end, what changed through CodeDeploy: `medic simulate --scenario changed-deployment`
 * against a real moto server (CodeDeploy, its targets and the CloudTrail of the calls it served)
 * and the local Jira. A person releases to the web host minutes before its service fails; medic
 * names the deployment, its application/group and that person, pages, and does not reboot.
 */
import { describe, expect, it } from 'vitest';
import { DEPLOY_APPLICATION, deployGroupOf, OPERATOR_ROLE } from '../local/scenarios.ts';
import { inboxMessages, runMedic, useSubstrate } from './support/substrate.ts';

const s = useSubstrate({ resetEachTest: true });
const CAROL = `arn:aws:sts::123456789012:assumed-role/${OPERATOR_ROLE.split('/').at(-1)}/carol`;
const GROUP = `${DEPLOY_APPLICATION}/${deployGroupOf('web-cd')}`;
const MUTATING =
  /^(Reboot|Stop|Start|Terminate)Instances$|^(Register|Deregister)Targets$|^SetInstanceHealth$|^SendCommand$/;

describe('medic simulate --scenario changed-deployment', () => {
  it('names the deployment, its group and who created it, pages with it, and does not reboot', async () => {
    // Act
    const run = await runMedic(['simulate', '--scenario', 'changed-deployment', '--json'], s.env);
    const result = JSON.parse(run.stdout);
    // Assess: the run, the classification and the page
    expect(run.code, run.stderr).toBe(0);
    expect(result).toMatchObject({ classification: 'recent-change', ticket: { key: expect.any(String) } });
    expect(result.actions.map((a: { kind: string; outcome: string }) => [a.kind, a.outcome])).toEqual([
      ['page', 'paged'],
    ]);
    const detail: string = result.actions[0].detail;
    expect(detail).toMatch(new RegExp(`CreateDeployment on i-[0-9a-f]+ \\(deployment \\S+ of ${GROUP}`));
    expect(detail).toContain(CAROL);
    // Assess: medic found it through CloudTrail, then asked CodeDeploy about this instance only
    const calls = await s.moto.calls();
    const lookups = calls.filter((c) => c.action === 'LookupEvents');
    expect(
      lookups.some((c) =>
        JSON.stringify(c.params.LookupAttributes).includes('"AttributeValue":"CreateDeployment"'),
      ),
    ).toBe(true);
    const targets = calls.filter((c) => c.action === 'BatchGetDeploymentTargets');
    expect(targets.length).toBeGreaterThan(0);
    expect(targets.every((c) => (c.params.targetIds as string[]).every((id) => id.startsWith('i-')))).toBe(
      true,
    );
    // Assess: nothing mutating reached moto from medic (only evidence's read-only SSM commands)
    expect(
      calls.filter(
        (c) => MUTATING.test(c.action) && c.action !== 'SendCommand' && c.params.DryRun !== 'true',
      ),
    ).toEqual([]);
    // Assess: the timeline carries the deployment row and the CodeDeploy line
    const summaries: string[] = result.timeline.map((e: { summary: string }) => e.summary);
    expect(summaries).toContainEqual(
      expect.stringMatching(new RegExp(`^change: CreateDeployment: .*${GROUP}.* by `)),
    );
    expect(summaries).toContainEqual(
      expect.stringMatching(/^CodeDeploy deployments: 1 of 1 deployments since /),
    );
    // Assess: the page and the ticket name the deployment and the person
    const page = (await inboxMessages(s.moto.endpoint)).find((m) => m.subject.startsWith('[medic] PAGE:'));
    expect(page?.body).toMatch(
      /Why: a recent change explains the symptom, so medic does not act: CreateDeployment/,
    );
    expect(page?.body).toContain(CAROL);
    const issue = s.jira.issues().find((i) => i.key === result.ticket.key);
    const description = JSON.stringify(issue?.fields.description);
    expect(description).toContain('Recent changes');
    expect(description).toContain('Likely cause');
    expect(description).toContain(GROUP);
    expect(description).toMatch(/CodeDeploy deployments: 1 of 1 deployments since /);
    expect(description).toContain(CAROL);
  }, 240_000);
});
