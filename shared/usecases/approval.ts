/**
 * Approve mode. requestApproval runs inside AwaitApproval (`.waitForTaskToken`): it
 * sends the stakeholders the signed approve/reject links. decide is the small HTTP function behind
 * those links: GET shows a confirmation page (so a mail scanner following links decides nothing),
 * POST resumes the execution with SendTaskSuccess (approve) or SendTaskFailure (reject).
 */
import { approvalLinks, type Decision, verifyLink } from '../domain/approval-link.ts';
import { type InstanceCase, LADDER_DEFAULTS } from '../domain/model.ts';
import type { Clock } from '../domain/timeline.ts';
import { APPROVAL_REJECTED } from '../errors.ts';
import type { NotifierPort, TaskCallbackPort } from '../ports.ts';
import { VERBS, who } from './ladder.ts';

export interface ApprovalRequest {
  messageId: string;
  approveUrl: string;
  rejectUrl: string;
  expires: number;
}

export async function requestApproval(
  c: InstanceCase,
  taskToken: string,
  deps: { notifier: NotifierPort; clock: Clock; baseUrl: string; secret: string },
): Promise<ApprovalRequest> {
  const action = c.action ?? c.assessment?.plan[c.rung] ?? 'page';
  const expires =
    Math.floor(deps.clock().getTime() / 1000) +
    (c.settings.approvalTimeoutSeconds ?? LADDER_DEFAULTS.approvalTimeoutSeconds);
  const { approveUrl, rejectUrl } = approvalLinks(deps.baseUrl, deps.secret, taskToken, expires);
  const { messageId } = await deps.notifier.publish({
    subject: `[medic] APPROVE? ${action} ${who(c)}`,
    body: [
      `medic wants to ${VERBS[action]} ${who(c)} (incident ${c.incidentId}, rung ${c.rung + 1} of ${c.assessment?.plan.length ?? 0}).`,
      `Assessment: ${c.assessment?.classification ?? 'unknown'} — ${c.assessment?.reasons.join('; ') ?? ''}`,
      `Tried so far: ${c.actions.map((a) => `${a.kind}: ${a.outcome}`).join(', ') || 'nothing'}`,
      '',
      `Approve: ${approveUrl}`,
      `Reject:  ${rejectUrl}`,
      '',
      `Without a decision within ${c.settings.approvalTimeoutSeconds ?? LADDER_DEFAULTS.approvalTimeoutSeconds} s medic records "timed out", does not act, and pages on-call.`,
    ].join('\n'),
    severity: 'warning',
    attributes: { event: 'approval', action, incident: c.incidentId, instance: c.target.instanceId },
  });
  return { messageId, approveUrl, rejectUrl, expires };
}

export interface HttpRequest {
  method: string;
  params: Record<string, string | undefined>;
  sourceIp: string | null;
}
export interface HttpResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

function html(statusCode: number, title: string, body: string): HttpResponse {
  const esc = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
  return {
    statusCode,
    headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' },
    body: `<!doctype html><html><head><meta charset="utf-8"><title>${esc(title)}</title></head><body><h1>${esc(title)}</h1>${body}</body></html>`,
  };
}

export async function decide(
  request: HttpRequest,
  deps: { callbacks: TaskCallbackPort; secret: string; clock: Clock },
): Promise<HttpResponse> {
  let link: { token: string; decision: Decision };
  try {
    link = verifyLink(request.params, deps.secret, deps.clock());
  } catch (error) {
    return html(403, 'medic: link refused', `<p>${(error as Error).message}. Nothing was decided.</p>`);
  }
  if (request.method === 'GET') {
    const hidden = Object.entries(request.params)
      .map(([k, v]) => `<input type="hidden" name="${k}" value="${String(v).replace(/"/g, '&quot;')}">`)
      .join('');
    return html(
      200,
      `medic: ${link.decision} this action?`,
      `<form method="post">${hidden}<button type="submit">${link.decision === 'approve' ? 'Approve' : 'Reject'}</button></form>`,
    );
  }
  if (request.method !== 'POST') return html(405, 'medic: method not allowed', '<p>Use the link.</p>');
  const at = deps.clock().toISOString();
  const from = request.sourceIp ? ` from ${request.sourceIp}` : '';
  try {
    if (link.decision === 'approve') {
      await deps.callbacks.succeed(link.token, {
        decision: 'approve',
        detail: `approved via signed link${from} at ${at}`,
        at,
      });
    } else {
      await deps.callbacks.fail(link.token, APPROVAL_REJECTED, `rejected via signed link${from} at ${at}`);
    }
  } catch (error) {
    const name = (error as Error).name;
    if (name === 'TaskTimedOut' || name === 'TaskDoesNotExist' || name === 'InvalidToken') {
      return html(
        410,
        'medic: too late',
        '<p>This decision is no longer open (it timed out or was already made). medic recorded what happened on the incident.</p>',
      );
    }
    throw error;
  }
  return html(
    200,
    `medic: ${link.decision === 'approve' ? 'approved' : 'rejected'}`,
    `<p>Recorded at ${at}.</p>`,
  );
}
