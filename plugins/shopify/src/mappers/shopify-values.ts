/** Values as Shopify's GraphQL Admin API writes them. */

/** `gid://shopify/Customer/7000000001` → `7000000001` (when of the expected type). */
export function numericId(gid: unknown, type: string): string | undefined {
  if (typeof gid !== 'string') return undefined;
  const match = /^gid:\/\/shopify\/(\w+)\/(\d+)(?:\?.*)?$/.exec(gid);
  return match && match[1] === type ? match[2] : undefined;
}

/** A `Decimal` money amount ("49.90") as a number rounded to the cent. */
export function money(amount: unknown): number {
  const value = typeof amount === 'number' ? amount : Number(amount);
  if (!Number.isFinite(value)) throw new RangeError(`not an amount: ${String(amount)}`);
  return Math.round(value * 100) / 100;
}
