import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { decodeSerialCursor, encodeCursor, pageLimit, type Page } from '../profiles/profiles.service.js';
import { AuditException } from './audit.exception.js';

/** Who acted: an admin user through a session or a token, an operator at the command line, or a partner app by its public API key. */
export interface AuditActor {
  userId?: string;
  /** The user's e-mail, `cli:<os user>`, or `api_key:<key id>`. */
  label: string;
  via: 'session' | 'token' | 'cli' | 'api_key';
}

export interface AuditEntryInput {
  workspaceId?: string;
  actor: AuditActor;
  /** What was done, `<thing>.<verb>`: `segment.create`, `merge.undo`, `segment.members.read`. */
  action: string;
  target?: { type: string; id?: string };
  /** The client address the request came from. */
  ip?: string;
}

export interface AuditEntryView {
  id: string;
  at: string;
  actor: { userId: string | null; label: string; via: AuditActor['via'] };
  action: string;
  target: { type: string; id: string | null } | null;
  ip: string | null;
}

type AuditRow = { id: string; at: Date; actor_user_id: string | null; actor: string; via: AuditActor['via']; action: string; target_type: string | null; target_id: string | null; ip: string | null };

/**
 * The audit log: every change and every read of personal data, with who did it, how, from where and
 * when. Written by the management API, the CLI and the public API (its reads of one person's data);
 * read by owners.
 */
@Injectable()
export class AuditLogService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async record(entry: AuditEntryInput): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO audit_log (workspace_id, actor_user_id, actor, via, action, target_type, target_id, ip) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [entry.workspaceId ?? null, entry.actor.userId ?? null, entry.actor.label, entry.actor.via, entry.action, entry.target?.type ?? null, entry.target?.id ?? null, entry.ip ?? null],
    );
  }

  /** A workspace's entries, newest first, keyset-paginated on the entry id. */
  async list(workspaceId: string, query: { limit?: number; cursor?: string } = {}): Promise<Page<AuditEntryView>> {
    const limit = pageLimit(query.limit);
    let before: string | null = null;
    if (query.cursor) {
      const id = decodeSerialCursor(query.cursor);
      if (!id) throw new AuditException('INVALID_CURSOR', 'cursor is not one this API returned', { errors: [{ field: 'cursor', message: 'is not one this API returned' }] });
      before = id;
    }
    // ORDER BY the table's column: the bare `id` would name the text output column (entry 9 after entry 10).
    const found: AuditRow[] = await this.dataSource.query(
      `SELECT id::text, at, actor_user_id, actor, via, action, target_type, target_id, ip FROM audit_log
       WHERE workspace_id = $1 AND ($3::bigint IS NULL OR id < $3::bigint) ORDER BY audit_log.id DESC LIMIT $2`,
      [workspaceId, limit + 1, before],
    );
    const page = found.slice(0, limit);
    const last = page[page.length - 1];
    return {
      data: page.map((r) => ({
        id: r.id,
        at: new Date(r.at).toISOString(),
        actor: { userId: r.actor_user_id, label: r.actor, via: r.via },
        action: r.action,
        target: r.target_type ? { type: r.target_type, id: r.target_id } : null,
        ip: r.ip,
      })),
      nextCursor: found.length > limit && last ? encodeCursor([last.id]) : null,
    };
  }
}
