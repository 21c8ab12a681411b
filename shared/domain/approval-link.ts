/**
 * Approve/reject links. A link carries the task token, the decision and an expiry,
 * signed with HMAC-SHA256: holding the link is the authentication, so the signature binds all
 * three and a link cannot be turned from "reject" into "approve" or used after it expires.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { InvalidApprovalLinkError } from '../errors.ts';

export type Decision = 'approve' | 'reject';

export function sign(secret: string, token: string, decision: Decision, expires: number): string {
  return createHmac('sha256', secret).update(`${decision}\n${expires}\n${token}`).digest('base64url');
}

export function approvalLinks(
  baseUrl: string,
  secret: string,
  token: string,
  expires: number,
): { approveUrl: string; rejectUrl: string } {
  const link = (decision: Decision) => {
    const url = new URL(baseUrl);
    url.searchParams.set('decision', decision);
    url.searchParams.set('expires', String(expires));
    url.searchParams.set('token', token);
    url.searchParams.set('sig', sign(secret, token, decision, expires));
    return url.toString();
  };
  return { approveUrl: link('approve'), rejectUrl: link('reject') };
}

/** Checks a link's parameters; throws InvalidApprovalLinkError naming what is wrong. */
export function verifyLink(
  params: Record<string, string | undefined>,
  secret: string,
  now: Date,
): { token: string; decision: Decision; expires: number } {
  const { decision, expires, token, sig } = params;
  if (decision !== 'approve' && decision !== 'reject')
    throw new InvalidApprovalLinkError('decision must be approve or reject');
  const exp = Number(expires);
  if (!token || !sig || !Number.isInteger(exp)) throw new InvalidApprovalLinkError('the link is incomplete');
  const expected = Buffer.from(sign(secret, token, decision, exp));
  const given = Buffer.from(sig);
  if (expected.length !== given.length || !timingSafeEqual(expected, given))
    throw new InvalidApprovalLinkError('the link signature does not match');
  if (now.getTime() > exp * 1000) throw new InvalidApprovalLinkError('the link has expired');
  return { token, decision, expires: exp };
}
