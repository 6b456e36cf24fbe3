import { z } from 'zod';
import { adminUserSchema, membershipSchema } from '../openapi/admin-schemas.js';

export const signInSchema = z
  .object({
    email: z.string({ error: 'must be a string' }).trim().min(3, 'must be an e-mail address').max(320, 'must be at most 320 characters'),
    password: z.string({ error: 'must be a string' }).min(1, 'must not be empty').max(1024, 'must be at most 1024 characters'),
  })
  .meta({ id: 'SignIn' });

export const sessionSchema = z
  .object({
    user: adminUserSchema,
    via: z.enum(['session', 'token']).describe('How the caller is authenticated'),
    csrfToken: z.string().nullable().describe('Send it in `X-CSRF-Token` with every mutating request of this session; null for admin tokens'),
    workspaces: z.array(membershipSchema),
  })
  .meta({ id: 'Session', description: 'Who is signed in' });

export const signedInSchema = sessionSchema
  .extend({
    expiresAt: z.string().meta({ format: 'date-time' }).describe('When the session ends at the latest'),
    idleTimeoutSeconds: z.number().int().describe('The session ends after this long without a request'),
  })
  .meta({ id: 'SignedIn' });
