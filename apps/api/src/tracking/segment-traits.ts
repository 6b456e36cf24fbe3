import { TRAIT_KEY, TRAIT_VOCABULARY } from '@portrait/connector-sdk';

/**
 * Segment's reserved traits (camelCase, some nested) in Portrait's trait vocabulary (snake case):
 * `firstName` → `first_name`, `title` → `job_title`, `address.city` → `city`, `company.name` → `company`.
 * Other keys are snake-cased (`planTier` → `plan_tier`); a key that has no letters is left out with a warning.
 */
const PERSON_RENAMES: Record<string, string> = { title: 'job_title', avatar: 'avatar_url', createdAt: 'created_at' };
const ACCOUNT_RENAMES: Record<string, string> = { employees: 'employee_count', createdAt: 'created_at', website: 'domain' };
const ADDRESS: Record<string, string> = { city: 'city', country: 'country', postalCode: 'postal_code', state: 'region', street: 'street' };

export interface MappedTraits {
  traits: Record<string, unknown>;
  warnings: string[];
}

export function personTraits(input: Record<string, unknown> | undefined): MappedTraits {
  return mapTraits(input, PERSON_RENAMES, (key, value, out) => {
    if (key === 'address' && isObject(value)) {
      for (const [part, target] of Object.entries(ADDRESS)) if (value[part] !== undefined) out[target] = value[part];
      return true;
    }
    if (key === 'company' && isObject(value)) {
      if (typeof value.name === 'string') out.company = value.name;
      return true;
    }
    return false;
  });
}

export function accountTraits(input: Record<string, unknown> | undefined): MappedTraits {
  return mapTraits(input, ACCOUNT_RENAMES, (key, value, out) => {
    if (key === 'address' && isObject(value)) {
      for (const [part, target] of Object.entries(ADDRESS)) if (value[part] !== undefined) out[target] = value[part];
      return true;
    }
    return false;
  });
}

function mapTraits(
  input: Record<string, unknown> | undefined,
  renames: Record<string, string>,
  special: (key: string, value: unknown, out: Record<string, unknown>) => boolean,
): MappedTraits {
  const traits: Record<string, unknown> = {};
  const warnings: string[] = [];
  for (const [key, value] of Object.entries(input ?? {})) {
    if (value === undefined || special(key, value, traits)) continue;
    const target = renames[key] ?? snakeCaseKey(key);
    if (!target) {
      warnings.push(`trait "${key}" left out: a trait name needs a letter`);
      continue;
    }
    traits[target] = value;
  }
  for (const [key, value] of Object.entries(traits)) {
    const coerced = coerceToVocabulary(key, value);
    if (coerced.ok) traits[key] = coerced.value;
    else {
      delete traits[key];
      warnings.push(`trait "${key}" left out: ${coerced.reason}`);
    }
  }
  return { traits, warnings };
}

/** `firstName` → `first_name`, `Plan Tier` → `plan_tier`, `shopify.lastOrder` → `shopify.last_order`; undefined when nothing usable is left. */
export function snakeCaseKey(key: string): string | undefined {
  const parts = key.split('.').map((part) =>
    part
      .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
      .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '_')
      .replace(/^[^a-z]+/, '')
      .replace(/_+$/, '')
      .slice(0, 64),
  );
  const joined = parts.filter(Boolean).slice(0, 4).join('.');
  return TRAIT_KEY.test(joined) ? joined : undefined;
}

/** Vocabulary traits have a type (age is a number, email a string): convert what converts losslessly. */
function coerceToVocabulary(key: string, value: unknown): { ok: true; value: unknown } | { ok: false; reason: string } {
  const entry = (TRAIT_VOCABULARY as Record<string, { type: string }>)[key];
  if (!entry || value === null || typeof value === entry.type) return { ok: true, value };
  if (entry.type === 'string' && (typeof value === 'number' || typeof value === 'boolean')) return { ok: true, value: String(value) };
  if (entry.type === 'number' && typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return { ok: true, value: Number(value) };
  return { ok: false, reason: `must be a ${entry.type}` };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
