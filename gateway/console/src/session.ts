/**
 * The caller's bearer token. It arrives in the URL fragment (`/console/#token=...`, which `npm start`
 * prints with the development token; a fragment never reaches a server log) or through the sign-in
 * form, and lives in sessionStorage: gone when the tab closes.
 */
const key = 'usage-console-token';

export function takeTokenFromUrl(): void {
  const match = /(?:^#|&)token=([^&]+)/.exec(window.location.hash);
  if (!match) return;
  sessionStorage.setItem(key, decodeURIComponent(match[1]!));
  history.replaceState(null, '', window.location.pathname + window.location.search);
}

export const currentToken = (): string | null => sessionStorage.getItem(key);

export function signIn(token: string): void {
  sessionStorage.setItem(key, token.trim());
}

export function signOut(): void {
  sessionStorage.removeItem(key);
}

/** The tenant a JWT names (read for display only: the gateway verifies the token, not the page). */
export function tenantOf(token: string | null): string | null {
  const payload = token?.split('.')[1];
  if (!payload) return null;
  try {
    const claims = JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/'))) as Record<string, unknown>;
    const tenant = claims.tenant ?? claims.tid ?? claims.tenantId;
    return typeof tenant === 'string' ? tenant : null;
  } catch {
    return null;
  }
}
