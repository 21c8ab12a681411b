// Resolves `custom.medic.jiraBaseUrl` at package/deploy time. There is deliberately no default site:
// a forgotten parameter must not send incident data and an API token to somebody else's host, so
// packaging stops with one line naming the parameter unless Jira is explicitly switched off.
// (CommonJS: osls loads `${file(...)}` resolvers with require.)
'use strict';

/** `--param name=value` as osls passes them: an array of "name=value" strings (or one string). */
function params(options) {
  const raw = options?.param;
  const list = Array.isArray(raw) ? raw : raw ? [raw] : [];
  const found = {};
  for (const item of list) {
    const at = String(item).indexOf('=');
    if (at > 0) found[String(item).slice(0, at)] = String(item).slice(at + 1);
  }
  return found;
}

/** osls prints a rejection's stack when it has one: without it the reason is one line. */
function fail(message) {
  const error = new Error(message);
  error.stack = '';
  return error;
}

function resolveJiraSite(given) {
  const jira = given.jira ?? 'on';
  if (jira !== 'on' && jira !== 'off') {
    throw fail(`medic: --param jira must be "on" or "off", got "${jira}"`);
  }
  const site = given.jiraBaseUrl;
  if (jira === 'off') {
    if (site) throw fail('medic: --param jira=off and --param jiraBaseUrl both given; choose one');
    return 'off';
  }
  if (!site) {
    throw fail(
      'medic: no Jira site: pass --param jiraBaseUrl=https://<your-site>.atlassian.net, or --param jira=off to keep tickets in the outbox and SNS only',
    );
  }
  let url;
  try {
    url = new URL(site);
  } catch {
    throw fail(
      `medic: --param jiraBaseUrl must be an https URL such as https://<your-site>.atlassian.net, got "${site}"`,
    );
  }
  if (url.protocol !== 'https:') {
    throw fail(
      `medic: --param jiraBaseUrl must be an https URL (the API token travels with every request), got "${site}"`,
    );
  }
  return site.replace(/\/+$/, '');
}

module.exports = {
  resolveJiraSite,
  jiraBaseUrl: ({ options }) => resolveJiraSite(params(options)),
};
