/**
 * The Confluence a local run writes its review to: the local Confluence (started here, beside the
 * local Jira) unless MEDIC_CONFLUENCE_URL names a loopback one, or `off` for no review at all.
 */

import type { Environment } from '../shared/config.ts';
import { isLoopbackUrl } from '../shared/domain/net.ts';
import { UnsafeEndpointError } from '../shared/errors.ts';
import { type LocalConfluence, startConfluenceServer } from './confluence-server.ts';

export interface RunConfluence {
  /** The settings the run's handlers read. */
  env: Record<string, string>;
  /** The server this run started (null when the environment named one). */
  server: LocalConfluence | null;
  close(): Promise<void>;
}

export async function confluenceForRun(base: Environment): Promise<RunConfluence | null> {
  const given = base.MEDIC_CONFLUENCE_URL;
  if (given === 'off') return null;
  if (given && !isLoopbackUrl(given)) {
    throw new UnsafeEndpointError(
      `MEDIC_CONFLUENCE_URL=${given} is not a loopback address: medic simulate only talks to this machine (127.0.0.1, localhost, ::1)`,
    );
  }
  const server = given ? null : await startConfluenceServer();
  return {
    env: {
      MEDIC_CONFLUENCE_URL: given ?? server?.baseUrl ?? '',
      MEDIC_CONFLUENCE_FLAVOUR: base.MEDIC_CONFLUENCE_FLAVOUR ?? 'cloud',
      MEDIC_CONFLUENCE_SPACE: base.MEDIC_CONFLUENCE_SPACE ?? server?.spaceKey ?? 'OPS',
      MEDIC_CONFLUENCE_EMAIL: base.MEDIC_CONFLUENCE_EMAIL ?? 'medic@example.com',
      MEDIC_CONFLUENCE_TOKEN: base.MEDIC_CONFLUENCE_TOKEN ?? 'local-confluence-token',
      ...(base.MEDIC_CONFLUENCE_PARENT_ID || server
        ? { MEDIC_CONFLUENCE_PARENT_ID: base.MEDIC_CONFLUENCE_PARENT_ID ?? server?.homepageId ?? '' }
        : {}),
    },
    server,
    close: async () => {
      await server?.close();
    },
  };
}
