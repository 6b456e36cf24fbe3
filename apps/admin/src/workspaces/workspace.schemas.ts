import { z } from 'zod';
import { membershipSchema } from '../openapi/admin-schemas.js';

export const workspaceListSchema = z.object({ data: z.array(membershipSchema) }).meta({ id: 'WorkspaceList' });

const role = z.enum(['owner', 'admin', 'viewer'], { error: 'must be one of owner, admin, viewer' });

export const memberSchema = z
  .object({ userId: z.uuid(), email: z.string(), role, addedAt: z.string().meta({ format: 'date-time' }) })
  .meta({ id: 'Member', description: 'An admin user of the workspace and their role' });

export const memberListSchema = z.object({ data: z.array(memberSchema) }).meta({ id: 'MemberList' });

export const addMemberSchema = z
  .object({ email: z.string({ error: 'must be a string' }).trim().min(3, 'must be an e-mail address').max(320), role })
  .meta({ id: 'AddMember' });

export const addedMemberSchema = z
  .object({
    member: memberSchema,
    created: z.boolean().describe('Whether a new admin user was created'),
    password: z.string().optional().describe('The new user\'s generated password: shown this once, pass it on securely'),
  })
  .meta({ id: 'AddedMember' });

export const changeRoleSchema = z.object({ role }).meta({ id: 'ChangeRole' });
