import { Column, Entity, PrimaryColumn } from 'typeorm';

export type ProfileKind = 'person' | 'account';

@Entity({ name: 'profiles' })
export class ProfileEntity {
  @PrimaryColumn('uuid')
  id: string;

  @Column({ name: 'workspace_id', type: 'uuid' })
  workspaceId: string;

  @Column({ type: 'text' })
  kind: ProfileKind;

  @Column({ type: 'jsonb' })
  traits: Record<string, unknown>;

  @Column({ name: 'trait_sources', type: 'jsonb' })
  traitSources: Record<string, { source: string; observedAt: string }>;

  @Column({ type: 'jsonb' })
  computed: Record<string, unknown>;

  @Column({ name: 'merged_into', type: 'uuid', nullable: true })
  mergedInto: string | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
