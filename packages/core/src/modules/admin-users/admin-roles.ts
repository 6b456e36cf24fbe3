/** Roles of an admin user in a workspace, weakest first: a viewer reads, an admin changes, an owner also manages people, tokens and reads the audit log. */
export const ADMIN_ROLES = ['viewer', 'admin', 'owner'] as const;
export type AdminRole = (typeof ADMIN_ROLES)[number];

/** Whether `role` may do what `needed` may. */
export function roleAtLeast(role: AdminRole, needed: AdminRole): boolean {
  return ADMIN_ROLES.indexOf(role) >= ADMIN_ROLES.indexOf(needed);
}
