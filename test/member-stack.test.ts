// The member stack each account of the organization deploys (docs/member-stack.yml): generated
// from the central roles (no drift), valid CloudFormation (cfn-lint), and evaluated by the IAM
// simulator with the central bus policy — and a broken copy of each is caught.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkOrganization, orgExpectations } from '../scripts/iam/member.ts';
import { MEMBER_STACK_FILE, memberStatements, renderMemberStack } from '../scripts/member-stack.ts';
import { runCfnLint } from '../scripts/package.ts';

const serverlessYml = readFileSync(path.join(import.meta.dirname, '..', 'serverless.yml'), 'utf8');
const memberYml = readFileSync(MEMBER_STACK_FILE, 'utf8');

describe('docs/member-stack.yml', () => {
  it('is what npm run member-stack writes from serverless.yml (the roles cannot drift)', () => {
    // Act
    const expected = renderMemberStack(serverlessYml);
    // Assess
    expect(memberYml).toBe(expected);
  });

  it('carries the medic:managed=true condition on every mutating statement, and no central-only action', () => {
    // Act
    const statements = memberStatements(serverlessYml);
    const actions = statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
    // Assess
    for (const s of statements) {
      const acts = Array.isArray(s.Action) ? s.Action : [s.Action];
      if (acts.some((a) => /Reboot|Stop|Start|SetInstanceHealth|RegisterTargets/.test(a)))
        expect(JSON.stringify(s.Condition), JSON.stringify(s)).toMatch(/ResourceTag\/medic:managed":"true"/);
    }
    expect(actions).toContain('ec2:RebootInstances');
    expect(actions).not.toContain('ssm:GetParameter');
    expect(actions).not.toContain('logs:PutLogEvents');
    expect(actions.some((a) => a.startsWith('dynamodb:') || a.startsWith('sns:'))).toBe(false);
  });

  it('passes cfn-lint', async () => {
    // Act
    const lint = await runCfnLint(MEMBER_STACK_FILE);
    // Assess
    expect(lint.fatal).toBeUndefined();
    expect(lint.errors).toEqual([]);
  }, 120_000);
});

describe('the organization IAM (npm run iam:check)', () => {
  it('member role acts on opted-in instances only, trusts the central functions with the external id, bus admits the organization only', async () => {
    // Act
    const report = await checkOrganization();
    // Assess
    expect(report.lines.filter((l) => !l.startsWith('ok'))).toEqual([]);
    expect(report.ok).toBe(true);
  });

  it('fails on a member role without its tag conditions and on a bus policy without the organization condition', async () => {
    // Prepare: broken copies
    const untagged = memberYml.replace(
      /\n( +)Condition:\n\1 {2}StringEquals:\n\1 {4}aws:ResourceTag\/medic:managed: "true"/g,
      '',
    );
    const openBus = serverlessYml.replace(
      /\n( +)Condition:\n\1 {2}StringEquals:\n\1 {4}aws:PrincipalOrgID: \$\{self:custom\.medic\.orgId\}/,
      '',
    );
    expect(openBus).not.toBe(serverlessYml);
    const noExternalId = memberYml.replace(
      /( +)StringEquals:\n\1 {2}sts:ExternalId:\n\1 {4}Ref: ExternalId\n/,
      '',
    );
    expect(noExternalId).not.toBe(memberYml);
    // Act
    const a = await checkOrganization(orgExpectations(untagged, serverlessYml));
    const b = await checkOrganization(orgExpectations(memberYml, openBus));
    const c = await checkOrganization(orgExpectations(noExternalId, serverlessYml));
    // Assess
    expect(a.lines.filter((l) => l.startsWith('FAIL')).join('\n')).toContain('not opted in');
    expect(b.lines.filter((l) => l.startsWith('FAIL')).join('\n')).toContain('outside the organization');
    expect(c.lines.filter((l) => l.startsWith('FAIL')).join('\n')).toContain('external id');
  });
});
