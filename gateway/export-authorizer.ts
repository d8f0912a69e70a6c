import type { RequestCaller } from '../platform/caller.js';
import { hasScope } from '../platform/caller.js';
import { ErrorCode } from '../platform/errors.js';
import { signCaller } from '../platform/internal-signature.js';
import { exportDownloadScope } from './scopes.js';

/**
 * GET /exports/<id> is plain HTTP, not an operation: the scope check and the signed caller for the
 * usage subgraph happen here. The token was verified by plugins/authentication.ts, which runs first.
 */
export function exportDownloadAuthorizer(callers: WeakMap<Request, RequestCaller>, secret: string) {
  return (request: Request): Record<string, string> | Response => {
    const caller = callers.get(request);
    const refuse = (status: number, code: string, message: string) =>
      new Response(JSON.stringify({ errors: [{ message, extensions: { code } }] }), { status, headers: { 'content-type': 'application/json' } });
    if (!caller) return refuse(401, ErrorCode.UNAUTHENTICATED, 'Authentication required: send Authorization: Bearer <token>.');
    if (!hasScope(caller, exportDownloadScope)) return refuse(403, ErrorCode.FORBIDDEN, `Export files need the scope "${exportDownloadScope}".`);
    return signCaller(secret, caller);
  };
}
