import { z } from 'zod';
import type { PrivacyRequest } from './connector.js';
import { formatIssues, identitySchema } from './profile-fact.js';

/** A `PrivacyRequest` as the engine accepts it: identities checked as a fact's are. */
export const privacyRequestSchema = z.object({
  type: z.enum(['erase', 'export']),
  identities: z.array(identitySchema).min(1, 'a privacy request needs at least one identity').max(100),
  reference: z.string().min(1, 'must not be empty').max(256, 'must be at most 256 characters').optional(),
}) satisfies z.ZodType<PrivacyRequest>;

export type PrivacyRequestValidation = { ok: true; request: PrivacyRequest } | { ok: false; reason: string };

/**
 * Validates one privacy request; the reason names every offending field (`identities.0.type: must be
 * lower snake case…`) and never repeats a value, which may be personal data.
 */
export function validatePrivacyRequest(input: unknown): PrivacyRequestValidation {
  const parsed = privacyRequestSchema.safeParse(input);
  return parsed.success ? { ok: true, request: parsed.data } : { ok: false, reason: formatIssues(parsed.error.issues, '(request)') };
}
