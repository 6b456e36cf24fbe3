import { SetMetadata } from '@nestjs/common';
import type { AdminRole } from '@portrait/core';

export const PUBLIC_ROUTE = 'portrait:admin-public';
export const REQUIRED_ROLE = 'portrait:admin-required-role';

/** A route of /admin/api that answers without a session or token (sign-in). */
export const PublicRoute = () => SetMetadata(PUBLIC_ROUTE, true);

/**
 * The role a workspace-scoped route needs. Without it, reads need `viewer` and every other method
 * `admin`: a viewer can never change anything, whatever a route forgets to say.
 */
export const RequiresRole = (role: AdminRole) => SetMetadata(REQUIRED_ROLE, role);
