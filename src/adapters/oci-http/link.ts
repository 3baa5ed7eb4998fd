/**
 * The `rel="next"` target of a `Link` header, as registries paginate `tags/list`:
 * `</v2/app/tags/list?last=1.2&n=100>; rel="next"`. Relative to the registry; undefined on the last page.
 *
 * @see https://github.com/opencontainers/distribution-spec/blob/v1.1.0/spec.md#listing-tags
 * @see https://www.rfc-editor.org/rfc/rfc8288#section-3
 */
export function nextPageLink(header: string | null): string | undefined {
  if (header === null) return undefined;
  for (const match of header.matchAll(/<([^>]*)>\s*((?:;\s*[^;,]*)*)/g)) {
    const [, target = '', params = ''] = match;
    if (/;\s*rel\s*=\s*"?(?:[^";,]*\s)?next(?:\s[^";,]*)?"?/i.test(params)) return target;
  }
  return undefined;
}
