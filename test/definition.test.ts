/** The retry rules are written once (scripts/definition.ts); the committed definition must be what it writes. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFINITION_FILE, RESUMES_AFTER_TIMEOUT, retryFor, withRetries } from '../scripts/definition.ts';

const committed = JSON.parse(readFileSync(DEFINITION_FILE, 'utf8')) as Record<string, unknown>;

describe('statemachines/incident.asl.json is current with `npm run definition`', () => {
  it('every Task carries exactly the Retry the policy gives it', () => {
    // Act
    const regenerated = withRetries(committed);
    // Assess
    expect(committed).toEqual(regenerated);
  });

  it('only the Tasks that resume a half-done action retry after a timeout', () => {
    // Act
    const retried = (name: string) =>
      retryFor(name, { Resource: 'x' }).flatMap((r) => r.ErrorEquals as string[]);
    // Assess
    for (const name of RESUMES_AFTER_TIMEOUT) expect(retried(name)).toContain('States.Timeout');
    expect(retried('Reboot')).not.toContain('States.Timeout');
    expect(retried('Decide')).toEqual(
      expect.arrayContaining(['Lambda.ServiceException', 'AwsTransientError']),
    );
    expect(
      retryFor('AwaitApproval', { Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken' }).flatMap(
        (r) => r.ErrorEquals as string[],
      ),
    ).not.toContain('AwsTransientError');
  });
});
