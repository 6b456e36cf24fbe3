import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, QueryRunner } from 'typeorm';
import { inTransaction, rows } from '../../engine/database/sql.js';
import { isUuid } from '../profiles/profiles.service.js';
import { ADMIN_ROLES, type AdminRole } from './admin-roles.js';
import { AdminUserException, invalidAdminUser } from './admin-user.exception.js';
import { generatePassword, hashPassword, MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from './password-hash.js';

export interface AdminUserView {
  id: string;
  email: string;
  createdAt: string;
}

export interface WorkspaceMemberView {
  userId: string;
  email: string;
  role: AdminRole;
  addedAt: string;
}

export interface AdminMembershipView {
  workspaceId: string;
  slug: string;
  name: string;
  role: AdminRole;
}

/** The outcome of adding someone: `password` only when the user was created here without one given (shown once). */
export interface AddedMember {
  member: WorkspaceMemberView;
  created: boolean;
  password?: string;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** An e-mail as stored and compared: trimmed and lower-cased, or a field error. */
export function normalizeAdminEmail(email: unknown): string {
  if (typeof email !== 'string' || email.length > 320 || !EMAIL.test(email.trim())) throw invalidAdminUser('email', 'must be an e-mail address');
  return email.trim().toLowerCase();
}

export function checkAdminRole(role: unknown): AdminRole {
  if (!ADMIN_ROLES.includes(role as AdminRole)) throw invalidAdminUser('role', `must be one of ${ADMIN_ROLES.join(', ')}`);
  return role as AdminRole;
}

function checkPassword(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH || password.length > MAX_PASSWORD_LENGTH) {
    throw invalidAdminUser('password', `must be ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters`);
  }
}

type MemberRow = { user_id: string; email: string; role: AdminRole; created_at: Date };
const toMember = (r: MemberRow): WorkspaceMemberView => ({ userId: r.user_id, email: r.email, role: r.role, addedAt: new Date(r.created_at).toISOString() });

/**
 * Admin users of the management API and their role in each workspace (owner, admin, viewer). A user
 * is an e-mail and a scrypt-hashed password; a workspace always keeps at least one owner.
 */
@Injectable()
export class AdminUsersService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Adds `email` to a workspace with a role: the user is created when unknown, with `password` or a
   * generated one (returned once); an existing user keeps their password. Refused with MEMBER_CONFLICT
   * when the user is already a member (change the role instead).
   */
  async addMember(workspaceId: string, input: { email: unknown; role: unknown; password?: string }): Promise<AddedMember> {
    const email = normalizeAdminEmail(input.email);
    const role = checkAdminRole(input.role);
    if (input.password !== undefined) checkPassword(input.password);
    const generated = input.password === undefined ? generatePassword() : undefined;
    // Hashed before the transaction: scrypt takes ~100 ms, no lock should wait for it.
    const passwordHash = await hashPassword(input.password ?? generated!);
    return inTransaction(this.dataSource, async (runner) => {
      const [inserted] = await rows<{ id: string }>(
        runner,
        `INSERT INTO admin_users (email, password_hash) VALUES ($1, $2) ON CONFLICT (email) DO NOTHING RETURNING id`,
        [email, passwordHash],
      );
      const userId = inserted?.id ?? (await rows<{ id: string }>(runner, `SELECT id FROM admin_users WHERE email = $1`, [email]))[0]!.id;
      const [member] = await rows<MemberRow>(
        runner,
        `WITH added AS (INSERT INTO admin_memberships (workspace_id, user_id, role) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING user_id, role, created_at)
         SELECT added.*, $4::text AS email FROM added`,
        [workspaceId, userId, role, email],
      );
      if (!member) throw new AdminUserException('MEMBER_CONFLICT', `${email} is already a member of this workspace; change their role instead`);
      return { member: toMember(member), created: Boolean(inserted), ...(inserted && generated ? { password: generated } : {}) };
    });
  }

  async findByEmail(email: string): Promise<AdminUserView | undefined> {
    const [row] = await this.dataSource.query(`SELECT id, email, created_at FROM admin_users WHERE email = $1`, [normalizeAdminEmail(email)]);
    return row ? { id: row.id, email: row.email, createdAt: new Date(row.created_at).toISOString() } : undefined;
  }

  /** The workspaces a user belongs to, with their role, by slug. */
  async memberships(userId: string): Promise<AdminMembershipView[]> {
    const found: { workspace_id: string; slug: string; name: string; role: AdminRole }[] = await this.dataSource.query(
      `SELECT m.workspace_id, w.slug, w.name, m.role FROM admin_memberships m JOIN workspaces w ON w.id = m.workspace_id WHERE m.user_id = $1 ORDER BY w.slug`,
      [userId],
    );
    return found.map((r) => ({ workspaceId: r.workspace_id, slug: r.slug, name: r.name, role: r.role }));
  }

  /** The user's role in a workspace, or undefined when not a member. */
  async roleIn(userId: string, workspaceId: string): Promise<AdminRole | undefined> {
    const [row] = await this.dataSource.query(`SELECT role FROM admin_memberships WHERE user_id = $1 AND workspace_id = $2`, [userId, workspaceId]);
    return row?.role;
  }

  async members(workspaceId: string): Promise<WorkspaceMemberView[]> {
    const found: MemberRow[] = await this.dataSource.query(
      `SELECT m.user_id, u.email, m.role, m.created_at FROM admin_memberships m JOIN admin_users u ON u.id = m.user_id WHERE m.workspace_id = $1 ORDER BY m.created_at, u.email`,
      [workspaceId],
    );
    return found.map(toMember);
  }

  /** Changes a member's role; the last owner of a workspace cannot be demoted (LAST_OWNER). */
  async changeRole(workspaceId: string, userId: string, role: unknown): Promise<WorkspaceMemberView> {
    const checked = checkAdminRole(role);
    return this.withMember(workspaceId, userId, async (runner, current) => {
      if (current.role === 'owner' && checked !== 'owner') await this.keepAnOwner(runner, workspaceId);
      const [row] = await rows<MemberRow>(
        runner,
        `WITH changed AS (UPDATE admin_memberships SET role = $3 WHERE workspace_id = $1 AND user_id = $2 RETURNING user_id, role, created_at)
         SELECT changed.*, u.email FROM changed JOIN admin_users u ON u.id = changed.user_id`,
        [workspaceId, userId, checked],
      );
      return toMember(row!);
    });
  }

  /** Removes a member from a workspace (the user stays, with their other workspaces); never the last owner. */
  async removeMember(workspaceId: string, userId: string): Promise<void> {
    await this.withMember(workspaceId, userId, async (runner, current) => {
      if (current.role === 'owner') await this.keepAnOwner(runner, workspaceId);
      await runner.query(`DELETE FROM admin_memberships WHERE workspace_id = $1 AND user_id = $2`, [workspaceId, userId]);
    });
  }

  /** Runs `work` with the membership row locked (and the workspace's owner rows, so two demotions cannot both pass). */
  private withMember<T>(workspaceId: string, userId: string, work: (runner: QueryRunner, current: { role: AdminRole }) => Promise<T>): Promise<T> {
    return inTransaction(this.dataSource, async (runner) => {
      await runner.query(`SELECT 1 FROM admin_memberships WHERE workspace_id = $1 AND role = 'owner' FOR UPDATE`, [workspaceId]);
      const [current] = isUuid(userId)
        ? await rows<{ role: AdminRole }>(runner, `SELECT role FROM admin_memberships WHERE workspace_id = $1 AND user_id = $2 FOR UPDATE`, [workspaceId, userId])
        : [];
      if (!current) throw new AdminUserException('MEMBER_NOT_FOUND', `user ${userId} is not a member of this workspace`);
      return work(runner, current);
    });
  }

  private async keepAnOwner(runner: QueryRunner, workspaceId: string): Promise<void> {
    const [{ owners }] = (await rows<{ owners: number }>(runner, `SELECT count(*)::int AS owners FROM admin_memberships WHERE workspace_id = $1 AND role = 'owner'`, [workspaceId])) as [{ owners: number }];
    if (owners <= 1) throw new AdminUserException('LAST_OWNER', 'a workspace keeps at least one owner: make someone else owner first');
  }
}
