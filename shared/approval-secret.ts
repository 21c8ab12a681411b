/**
 * The signing secret of the approve/reject links: `MEDIC_APPROVAL_SECRET` in local runs,
 * otherwise the SSM SecureString, read through the one SSM secret reader (Powertools Parameters,
 * cached per container). Shared by RequestApproval (signs) and the approval function (verifies).
 */
import { SSMClient } from '@aws-sdk/client-ssm';
import { ssmSecret } from './adapters/secret-parameter.ts';
import { approvalConfig, perEnvironment } from './config.ts';
import type { SecretSource } from './ports.ts';

const source: () => SecretSource = /* @__PURE__ */ perEnvironment(() =>
  ssmSecret(new SSMClient({}), approvalConfig().MEDIC_APPROVAL_SECRET_PARAMETER ?? ''),
);

export async function approvalSecret(): Promise<string> {
  const config = approvalConfig();
  if (config.MEDIC_APPROVAL_SECRET) return config.MEDIC_APPROVAL_SECRET;
  return source()();
}
