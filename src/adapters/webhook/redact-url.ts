/**
 * A NOTIFY_URL as it may be shown (banner, logs): without user info and query, which can carry a
 * receiver's credentials or token.
 */
export function redactUrl(url: string): string {
  const parsed = new URL(url);
  const hidden = parsed.username !== '' || parsed.password !== '' || parsed.search !== '';
  return `${parsed.protocol}//${parsed.host}${parsed.pathname}${hidden ? ' (credentials or query hidden)' : ''}`;
}
