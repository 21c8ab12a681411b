/** Validates ADF against Atlassian's own definitions: the ADF JSON schema and adf-utils' validator. */
import { createRequire } from 'node:module';
import { validator } from '@atlaskit/adf-utils/dist/cjs/validator/validator.js';

const require = createRequire(import.meta.url);
type Check = ((v: unknown) => boolean) & { errors?: { instancePath: string; message?: string }[] | null };
let schemaCheck: Check | undefined;

/** Returns the problems found (empty when valid). */
export function adfProblems(doc: unknown): string[] {
  if (!schemaCheck) {
    const Ajv = require('ajv-draft-04') as new (o: Record<string, unknown>) => { compile(s: unknown): Check };
    schemaCheck = new Ajv({ strict: false, allErrors: true }).compile(
      require('@atlaskit/adf-schema/dist/json-schema/v1/full.json'),
    );
  }
  const problems: string[] = [];
  if (!schemaCheck(doc))
    problems.push(...(schemaCheck.errors ?? []).map((e) => `schema ${e.instancePath}: ${e.message}`));
  try {
    // Without an error callback the adf-utils validator throws on the first invalid node.
    validator()(doc as Parameters<ReturnType<typeof validator>>[0]);
  } catch (error) {
    problems.push(`adf-utils validator: ${(error as Error).message}`);
  }
  return problems;
}
