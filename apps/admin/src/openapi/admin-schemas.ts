import { pageCursor, pageLimit } from '@portrait/core/http';
import { z } from 'zod';

/** The workspaces and roles of a user. */
export const membershipSchema = z
  .object({
    workspaceId: z.uuid(),
    slug: z.string(),
    name: z.string(),
    role: z.enum(['owner', 'admin', 'viewer']).describe('viewer: reads; admin: also changes; owner: also manages members, admin tokens and reads the audit log'),
  })
  .meta({ id: 'Membership' });

export const adminUserSchema = z.object({ id: z.uuid(), email: z.string() }).meta({ id: 'AdminUser' });

export const pageQuery = z.object({ limit: pageLimit, cursor: pageCursor });

export const uuidParam = (name: string) => ({ name, description: `The ${name.replace(/Id$/, '')} id`, schema: { type: 'string', format: 'uuid' } }) as const;
