import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { WorkspaceEntity } from './entities/workspace.entity.js';
import { WorkspaceException } from './workspace.exception.js';

export const WORKSPACE_SLUG = /^[a-z0-9][a-z0-9-]{0,62}$/;

@Injectable()
export class WorkspacesService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  private get repository() {
    return this.dataSource.getRepository(WorkspaceEntity);
  }

  async create(slug: string, name = slug): Promise<WorkspaceEntity> {
    if (!WORKSPACE_SLUG.test(slug)) {
      throw new WorkspaceException('INVALID_SLUG', `slug "${slug}" must be lower-case letters, digits and dashes (max 63), starting with a letter or digit`);
    }
    const [row] = await this.dataSource.query(
      `INSERT INTO workspaces (slug, name) VALUES ($1, $2) ON CONFLICT (slug) DO NOTHING RETURNING id`,
      [slug, name],
    );
    if (!row) throw new WorkspaceException('SLUG_TAKEN', `a workspace with slug "${slug}" already exists`);
    return this.repository.findOneByOrFail({ id: row.id });
  }

  /** The workspace with this slug, created when missing (idempotent, safe under concurrency). */
  async ensure(slug: string, name = slug): Promise<WorkspaceEntity> {
    await this.dataSource.query(`INSERT INTO workspaces (slug, name) VALUES ($1, $2) ON CONFLICT (slug) DO NOTHING`, [slug, name]);
    return this.repository.findOneByOrFail({ slug });
  }

  findBySlug(slug: string): Promise<WorkspaceEntity | null> {
    return this.repository.findOneBy({ slug });
  }

  async getById(id: string): Promise<WorkspaceEntity> {
    const workspace = await this.repository.findOneBy({ id });
    if (!workspace) throw new WorkspaceException('NOT_FOUND', `workspace ${id} does not exist`);
    return workspace;
  }

  /** Merges `patch` into the workspace's settings (top-level keys replaced, the others kept). */
  async mergeSettings(id: string, patch: Record<string, unknown>): Promise<void> {
    await this.dataSource.query(`UPDATE workspaces SET settings = settings || $2::jsonb WHERE id = $1`, [id, JSON.stringify(patch)]);
  }

  list(): Promise<WorkspaceEntity[]> {
    return this.repository.find({ order: { createdAt: 'ASC' } });
  }
}
