/**
 * The API key a request presents: `Authorization: Bearer <key>`, or HTTP Basic with the key as user
 * name and an empty password (how Segment's libraries send their write key).
 */
export function presentedKey(authorization: string | undefined): string | undefined {
  if (!authorization) return undefined;
  const [scheme, value] = authorization.trim().split(/\s+/, 2);
  if (!scheme || !value) return undefined;
  switch (scheme.toLowerCase()) {
    case 'bearer':
      return value;
    case 'basic': {
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      const user = colon === -1 ? decoded : decoded.slice(0, colon);
      return user || undefined;
    }
    default:
      return undefined;
  }
}
