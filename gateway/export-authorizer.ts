import type { RequestCaller } from '../platform/caller.js';
import { hasScope } from '../platform/caller.js';
import { refusal, refusalResponse } from '../platform/error-response.js';
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
    const refuse = (code: ErrorCode, message: string) => refusalResponse({ Response }, refusal(code, message));
    if (!caller) return refuse(ErrorCode.UNAUTHENTICATED, 'Authentication required: send Authorization: Bearer <token>.');
    if (!hasScope(caller, exportDownloadScope)) return refuse(ErrorCode.FORBIDDEN, `Export files need the scope "${exportDownloadScope}".`);
    return signCaller(secret, caller);
  };
}
