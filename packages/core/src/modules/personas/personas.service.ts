import { Injectable } from '@nestjs/common';
import { freeKey, handleFromName, isKeyTaken } from '../../engine/database/handle-keys.js';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { keysetPage, type PageQuery } from '../profiles/keyset-page.js';
import { isUuid, type Page } from '../profiles/profiles.service.js';
import { SegmentCatalogService } from '../segments/segment-catalog.service.js';
import { SEGMENT_LEAVES } from '../segments/segment-leaves/segment-leaves.js';
import { weightedConditionErrors } from '../segments/weighted-conditions.js';
import { PersonaAssignmentService } from './persona-assignment.service.js';
import { personaEnvelopeSchema, type PersonaCard, type PersonaRule } from './persona-definition.js';
import { PersonaException, type PersonaFieldError } from './persona.exception.js';

export interface PersonaView {
  id: string;
  name: string;
  /** A stable handle (lower-case letters, digits, `-`, `_`), unique among the workspace's personas. */
  key: string;
  summary: string | null;
  card: PersonaCard;
  rules: PersonaRule[];
  /** The score (0 to 1) a profile must reach to be assigned this persona. */
  minScore: number;
  /** The matching rules' revision: 1 when created, bumped by each update that changes the rules or the minimum score. */
  version: number;
  /** Profiles assigned to the persona now. */
  size: number;
  createdAt: string;
  updatedAt: string;
}

export interface PersonaMember {
  profileId: string;
  /** The profile's score for this persona. */
  score: number;
  /** When the profile was assigned this persona. */
  assignedAt: string;
}

/** A persona input that passed validation, with its defaults. */
interface ValidPersona {
  name: string;
  key?: string;
  summary: string | null;
  card: PersonaCard;
  rules: PersonaRule[];
  minScore: number;
}

type PersonaRow = {
  id: string;
  name: string;
  key: string;
  summary: string | null;
  card: PersonaCard;
  rules: PersonaRule[];
  min_score: string;
  version: number;
  size: number;
  created_at: Date;
  updated_at: Date;
};

const invalidCursor = () => new PersonaException('INVALID_CURSOR', 'cursor is not one this API returned');

export const DEFAULT_PERSONA_MIN_SCORE = 0.5;
/** The persona's columns and its size, counted on the assignment index. */
const PERSONA_COLUMNS = `p.*, (SELECT count(*) FROM profiles pr WHERE pr.workspace_id = p.workspace_id AND pr.persona_id = p.id)::int AS size`;

const toPersonaView = (row: PersonaRow): PersonaView => ({
  id: row.id,
  name: row.name,
  key: row.key,
  summary: row.summary,
  card: row.card,
  rules: row.rules,
  minScore: Number(row.min_score),
  version: row.version,
  size: row.size,
  createdAt: new Date(row.created_at).toISOString(),
  updatedAt: new Date(row.updated_at).toISOString(),
});

/** `Budget-minded Bia` → `budget-minded-bia`; `persona` when nothing of the name is left. */
export function personaKeyFromName(name: string): string {
  return handleFromName(name, 'persona');
}

/**
 * Buyer personas: a card and weighted matching rules in the segment condition language, validated
 * against the workspace's data like segment definitions. Creating, changing or deleting a persona
 * re-assigns the profiles it concerns (`PersonaAssignmentService`) before answering.
 */
@Injectable()
export class PersonasService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly catalog: SegmentCatalogService,
    private readonly assignment: PersonaAssignmentService,
  ) {}

  /**
   * Checks a persona: its shape, then each rule's condition against the condition language and the
   * workspace's observed trait types. Throws INVALID_PERSONA with every problem and its path
   * (`rules.0.condition.all[1].op`, `card.typology`, `minScore`).
   */
  async validate(workspaceId: string, input: unknown): Promise<ValidPersona> {
    const parsed = personaEnvelopeSchema.safeParse(input);
    // Personas are assigned before segments are evaluated (segments read `profiles.persona_id`): a rule
    // can depend neither on a persona (its own result) nor on a segment's membership.
    const refused = (kind: string) => SEGMENT_LEAVES[kind as keyof typeof SEGMENT_LEAVES]?.refusedInPersonaRules;
    const errors: PersonaFieldError[] = await weightedConditionErrors(parsed, input, 'rules', () => this.catalog.catalog(workspaceId), refused);
    if (errors.length || !parsed.success) {
      const first = errors[0] ?? { field: '(body)', message: 'is not a valid persona' };
      throw new PersonaException('INVALID_PERSONA', `the persona is invalid: ${first.field}: ${first.message}`, errors.length ? errors : [first]);
    }
    const { name, key, summary, card, rules: valid, minScore } = parsed.data;
    return {
      name,
      key,
      summary: summary ?? null,
      card: card ?? {},
      rules: valid.map((r) => ({ condition: r.condition as PersonaRule['condition'], weight: r.weight, ...(r.label === undefined ? {} : { label: r.label }) })),
      minScore: minScore ?? DEFAULT_PERSONA_MIN_SCORE,
    };
  }

  /** Creates a persona and assigns the workspace's profiles to their best persona again. */
  async create(workspaceId: string, input: unknown): Promise<PersonaView> {
    const persona = await this.validate(workspaceId, input);
    const key = await freeKey(this.dataSource, 'personas', workspaceId, persona, personaKeyFromName);
    const [row]: PersonaRow[] = await this.dataSource
      .query(
        `INSERT INTO personas (workspace_id, name, key, summary, card, rules, min_score) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
        [workspaceId, persona.name, key, persona.summary, JSON.stringify(persona.card), JSON.stringify(persona.rules), persona.minScore],
      )
      .catch((error: unknown) => this.keyTaken(error, key));
    await this.assignment.reassignAll(workspaceId);
    return this.get(workspaceId, row!.id);
  }

  /** Replaces a persona (its key stays unless another is given) and re-assigns the workspace's profiles. */
  async update(workspaceId: string, id: string, input: unknown): Promise<PersonaView> {
    const current = await this.get(workspaceId, id);
    const persona = await this.validate(workspaceId, input);
    const key = await freeKey(this.dataSource, 'personas', workspaceId, persona, personaKeyFromName, current.key);
    await this.dataSource
      .query(
        `UPDATE personas SET name = $3, key = $4, summary = $5, card = $6, rules = $7, min_score = $8,
                version = version + CASE WHEN rules IS DISTINCT FROM $7::jsonb OR min_score IS DISTINCT FROM $8::numeric THEN 1 ELSE 0 END, updated_at = now()
         WHERE workspace_id = $1 AND id = $2 AND deleted_at IS NULL`,
        [workspaceId, id, persona.name, key, persona.summary, JSON.stringify(persona.card), JSON.stringify(persona.rules), persona.minScore],
      )
      .catch((error: unknown) => this.keyTaken(error, key));
    await this.assignment.reassignAll(workspaceId);
    return this.get(workspaceId, id);
  }

  /** Deletes a persona; its profiles get their next best persona, or none. */
  async delete(workspaceId: string, id: string): Promise<void> {
    await this.get(workspaceId, id);
    await this.dataSource.query(`UPDATE personas SET deleted_at = now() WHERE workspace_id = $1 AND id = $2 AND deleted_at IS NULL`, [workspaceId, id]);
    await this.assignment.reassignMembersOf(workspaceId, id);
  }

  /** A persona with its current size. */
  async get(workspaceId: string, id: string): Promise<PersonaView> {
    if (!isUuid(id)) throw new PersonaException('PERSONA_NOT_FOUND', `persona ${id} does not exist`);
    const [row]: PersonaRow[] = await this.dataSource.query(`SELECT ${PERSONA_COLUMNS} FROM personas p WHERE p.workspace_id = $1 AND p.id = $2 AND p.deleted_at IS NULL`, [workspaceId, id]);
    if (!row) throw new PersonaException('PERSONA_NOT_FOUND', `persona ${id} does not exist`);
    return toPersonaView(row);
  }

  /** A persona by its key. */
  async getByKey(workspaceId: string, key: string): Promise<PersonaView> {
    const [row]: PersonaRow[] = await this.dataSource.query(`SELECT ${PERSONA_COLUMNS} FROM personas p WHERE p.workspace_id = $1 AND p.key = $2 AND p.deleted_at IS NULL`, [workspaceId, key]);
    if (!row) throw new PersonaException('PERSONA_NOT_FOUND', `persona ${key} does not exist`);
    return toPersonaView(row);
  }

  /** Personas of the workspace, oldest first, keyset-paginated. */
  async list(workspaceId: string, query: PageQuery = {}): Promise<Page<PersonaView>> {
    const { rows, nextCursor } = await keysetPage<PersonaRow>(
      this.dataSource,
      { time: 'p.created_at', id: 'p.id' },
      query,
      [workspaceId],
      ({ after, keys, orderAndLimit }) => `SELECT ${PERSONA_COLUMNS}, ${keys} FROM personas p WHERE p.workspace_id = $1 AND p.deleted_at IS NULL ${after} ${orderAndLimit}`,
      invalidCursor,
    );
    return { data: rows.map(toPersonaView), nextCursor };
  }

  /** The profiles assigned to a persona with their score, in id order, keyset-paginated. */
  async members(workspaceId: string, id: string, query: PageQuery = {}): Promise<Page<PersonaMember>> {
    await this.get(workspaceId, id);
    const { rows, nextCursor } = await keysetPage<{ id: string; persona_score: number; persona_assigned_at: Date }>(
      this.dataSource,
      { id: 'id' },
      query,
      [workspaceId, id],
      ({ after, keys, orderAndLimit }) => `SELECT id, persona_score, persona_assigned_at, ${keys} FROM profiles WHERE workspace_id = $1 AND persona_id = $2 ${after} ${orderAndLimit}`,
      invalidCursor,
    );
    return { data: rows.map((r) => ({ profileId: r.id, score: r.persona_score, assignedAt: new Date(r.persona_assigned_at).toISOString() })), nextCursor };
  }

  /** A unique violation on the key (taken by another persona, or by two writers at once) as a field error. */
  private keyTaken(error: unknown, key: string): never {
    if (isKeyTaken(error, 'personas')) {
      throw new PersonaException('INVALID_PERSONA', `the persona key ${key} is taken`, [{ field: 'key', message: 'another persona of the workspace has this key' }]);
    }
    throw error;
  }
}
