/** Validates ADF against Atlassian's own definitions: the ADF JSON schema and adf-utils' validator. */
import { validator } from '@atlaskit/adf-utils/dist/cjs/validator/validator.js';
import { adfSchemaProblem } from '../../local/jira-server.ts';

/** Returns the problems found (empty when valid). The schema is compiled once per process. */
export function adfProblems(doc: unknown): string[] {
  const problems: string[] = [];
  const schema = adfSchemaProblem(doc);
  if (schema) problems.push(`schema: ${schema}`);
  try {
    // Without an error callback the adf-utils validator throws on the first invalid node.
    validator()(doc as Parameters<ReturnType<typeof validator>>[0]);
  } catch (error) {
    problems.push(`adf-utils validator: ${(error as Error).message}`);
  }
  return problems;
}
