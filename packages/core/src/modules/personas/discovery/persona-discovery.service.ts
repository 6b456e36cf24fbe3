import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { IntervalJobs } from '../../../engine/scheduling/interval-jobs.js';
import { isUuid } from '../../profiles/profiles.service.js';
import { PersonaException } from '../persona.exception.js';
import { PersonasService, type PersonaView } from '../personas.service.js';
import { discoveryParamsSchema, type DiscoveryParams } from './discovery-params.js';
import { extractPeople } from './discovery-extraction.js';
import { buildDrafts, type DiscoveryDraft } from './draft-builder.js';
import { buildFeatureMatrix, type DroppedFeature } from './feature-matrix.js';
import { chooseClustering, nearestCentroids, type KChoice } from './kmeans-clustering.js';
import { claimJob } from '../../../engine/database/claim-job.js';

export type DiscoveryStatus = 'queued' | 'running' | 'succeeded' | 'failed';
export type DiscoveryPhase = 'reading' | 'clustering' | 'assigning' | 'describing' | 'done';

/** What a run found, beside its drafts. */
export interface DiscoverySummary {
  /** Live person profiles clustered. */
  people: number;
  /** People the centroids were fitted on (all of them up to `sampleSize`). */
  sampleSize: number;
  k: number;
  /** Each k tried with its silhouette (higher is better separated) and inertia. */
  silhouettes: KChoice[];
  /** The features clustered on, with how many people had no value (imputed: see the feature matrix). */
  features: { feature: string; label: string; missing: number }[];
  /** Features left out: nobody has them, or everyone has the same value. */
  dropped: DroppedFeature[];
  currency: string | null;
}

export type DiscoveryDraftView = DiscoveryDraft & { acceptedPersonaId: string | null; acceptedAt: string | null };

export interface DiscoveryView {
  id: string;
  status: DiscoveryStatus;
  phase: DiscoveryPhase | null;
  /** 0 to 1. */
  progress: number;
  params: DiscoveryParams;
  summary: DiscoverySummary | null;
  error: string | null;
  drafts: DiscoveryDraftView[];
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

/** A discovery's clustering: the summary, the drafts, and each person's cluster (`labels[i]` is the draft number of `ids[i]`). */
export interface DiscoveryResult {
  summary: DiscoverySummary;
  drafts: DiscoveryDraft[];
  ids: string[];
  labels: Int32Array;
}

interface DiscoveryRow {
  id: string;
  workspace_id: string;
  params: DiscoveryParams;
  status: DiscoveryStatus;
  phase: DiscoveryPhase | null;
  progress: number;
  summary: DiscoverySummary | null;
  error: string | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

interface DraftRow {
  number: number;
  draft: DiscoveryDraft;
  accepted_persona_id: string | null;
  accepted_at: Date | null;
}

const COLUMNS = `id, workspace_id, params, status, phase, progress, summary, error, created_at, started_at, finished_at`;
/** Workspaces with at most this many people are discovered inline, in the request; larger ones by the worker. */
export const DISCOVERY_INLINE_MAX_PEOPLE = 5_000;
/** Fewer people than this cannot be clustered into personas. */
export const DISCOVERY_MIN_PEOPLE = 10;
/** A running discovery whose process wrote no progress for this long is taken over by another. */
const STALLED_AFTER_SECONDS = 300;
/** How often the worker looks for queued discoveries. */
export const DISCOVERY_JOBS_INTERVAL_MS = 5_000;

const notFound = (id: string) => new PersonaException('DISCOVERY_NOT_FOUND', `discovery ${id} does not exist`);

/**
 * Persona discovery: clusters a workspace's people (k-means over normalized behavioural and
 * demographic features, k chosen by silhouette) and proposes draft personas, which an admin accepts
 * as persona cards. A run is a job: small workspaces run it inline, larger ones are queued for the
 * worker (`startSchedules`), which any number of workers share, one run in one worker at a time; the
 * CLI runs one in the foreground (`run`). A run's progress is written as it goes.
 */
@Injectable()
export class PersonaDiscoveryService implements OnModuleDestroy {
  private readonly logger = new Logger(PersonaDiscoveryService.name);
  private readonly schedules = new IntervalJobs(this.logger);
  private draining?: Promise<number>;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly personas: PersonasService,
  ) {}

  /** Checks a discovery's parameters; throws INVALID_DISCOVERY with each field's problem. */
  validateParams(input: unknown): DiscoveryParams {
    const parsed = discoveryParamsSchema.safeParse(input ?? {});
    if (parsed.success) return parsed.data;
    const errors = parsed.error.issues.map((i) => ({ field: i.path.map(String).join('.') || '(body)', message: i.message }));
    throw new PersonaException('INVALID_DISCOVERY', `the discovery is invalid: ${errors[0]!.field}: ${errors[0]!.message}`, errors);
  }

  /**
   * Starts a discovery. `inline` (by default: when the workspace has at most
   * `DISCOVERY_INLINE_MAX_PEOPLE` people) runs it before answering; otherwise it is queued for the worker.
   */
  async start(workspaceId: string, input: unknown, options: { inline?: boolean } = {}): Promise<DiscoveryView> {
    const params = this.validateParams(input);
    let inline = options.inline;
    if (inline === undefined) {
      const [{ n }] = await this.dataSource.query(`SELECT count(*)::int AS n FROM profiles WHERE workspace_id = $1 AND kind = 'person' AND merged_into IS NULL`, [workspaceId]);
      inline = n <= DISCOVERY_INLINE_MAX_PEOPLE;
    }
    // An inline run is taken at once, so that no worker claims it meanwhile.
    const [row]: DiscoveryRow[] = await this.dataSource.query(
      `INSERT INTO persona_discoveries (workspace_id, params, status, started_at, heartbeat_at)
       VALUES ($1, $2, $3, CASE WHEN $3 = 'running' THEN now() END, CASE WHEN $3 = 'running' THEN now() END) RETURNING ${COLUMNS}`,
      [workspaceId, JSON.stringify(params), inline ? 'running' : 'queued'],
    );
    if (inline) await this.work(row!);
    return this.get(workspaceId, row!.id);
  }

  /** A discovery with its drafts. */
  async get(workspaceId: string, id: string): Promise<DiscoveryView> {
    const [row]: DiscoveryRow[] = isUuid(id) ? await this.dataSource.query(`SELECT ${COLUMNS} FROM persona_discoveries WHERE workspace_id = $1 AND id = $2`, [workspaceId, id]) : [];
    if (!row) throw notFound(id);
    const drafts: DraftRow[] = await this.dataSource.query(`SELECT number, draft, accepted_persona_id, accepted_at FROM persona_discovery_drafts WHERE discovery_id = $1 ORDER BY number`, [id]);
    return view(row, drafts);
  }

  /**
   * Runs one discovery in the foreground (the CLI), reporting progress as it goes. One another process
   * is running is followed until it ends instead. Answers the discovery as it ended.
   */
  async run(workspaceId: string, id: string, onProgress?: (discovery: DiscoveryView) => void): Promise<DiscoveryView> {
    await this.get(workspaceId, id);
    for (;;) {
      const claimed = await this.claim(id);
      if (claimed) await this.work(claimed, onProgress);
      const current = await this.get(workspaceId, id);
      onProgress?.(current);
      if (current.status === 'succeeded' || current.status === 'failed') return current;
      if (!claimed) await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }

  /** Runs the queued discoveries one after the other until none is left; answers how many ran. Concurrent calls share one drain. */
  runDue(): Promise<number> {
    this.draining ??= this.drain().finally(() => (this.draining = undefined));
    return this.draining;
  }

  /** In the worker: queued discoveries run every `everyMs`. */
  startSchedules(options: { everyMs?: number } = {}): void {
    this.schedules.start([{ everyMs: options.everyMs ?? DISCOVERY_JOBS_INTERVAL_MS, what: 'persona discoveries', run: () => this.runDue() }]);
  }

  stopSchedules(): void {
    this.schedules.stop();
  }

  onModuleDestroy(): void {
    this.stopSchedules();
  }

  /**
   * Accepts a draft as a persona: the draft's proposal with `edits` (any persona field: name, key,
   * summary, card, rules, minScore) over it, created through the personas service, which checks it and
   * assigns the workspace's profiles. A draft is accepted once.
   */
  async accept(workspaceId: string, id: string, number: number, edits: unknown = {}): Promise<PersonaView> {
    const discovery = await this.get(workspaceId, id);
    if (discovery.status !== 'succeeded') throw new PersonaException('DISCOVERY_NOT_FINISHED', `discovery ${id} is ${discovery.status}: only a finished discovery's drafts can be accepted`);
    const draft = discovery.drafts.find((d) => d.number === number);
    if (!draft) throw new PersonaException('DRAFT_NOT_FOUND', `discovery ${id} has no draft ${number} (it has ${discovery.drafts.length})`);
    if (typeof edits !== 'object' || edits === null || Array.isArray(edits)) {
      throw new PersonaException('INVALID_PERSONA', 'the edits must be a JSON object of persona fields', [{ field: '(body)', message: 'must be an object' }]);
    }
    // Taken first, so that two acceptances of one draft make one persona.
    const [taken] = await this.dataSource.query(
      `WITH taken AS (UPDATE persona_discovery_drafts SET accepted_at = now() WHERE discovery_id = $1 AND number = $2 AND accepted_at IS NULL RETURNING number) SELECT * FROM taken`,
      [id, number],
    );
    if (!taken) throw new PersonaException('DRAFT_ACCEPTANCE_CONFLICT', `draft ${number} of discovery ${id} is accepted already`);
    try {
      const persona = await this.personas.create(workspaceId, { ...draft.persona, ...edits });
      await this.dataSource.query(`UPDATE persona_discovery_drafts SET accepted_persona_id = $3 WHERE discovery_id = $1 AND number = $2`, [id, number, persona.id]);
      return persona;
    } catch (error) {
      await this.dataSource.query(`UPDATE persona_discovery_drafts SET accepted_at = NULL WHERE discovery_id = $1 AND number = $2`, [id, number]);
      throw error;
    }
  }

  /**
   * The clustering itself, stored nowhere: the workspace's people read, normalized, clustered for each
   * k, assigned to the nearest centroid of the best k, and described. `onProgress` gets the phase and
   * the share done (0 to 1).
   */
  async discover(workspaceId: string, params: DiscoveryParams, onProgress?: (phase: DiscoveryPhase, progress: number) => Promise<void> | void): Promise<DiscoveryResult> {
    const people = await extractPeople(this.dataSource, workspaceId, (read, total) => onProgress?.('reading', total ? 0.3 * (read / total) : 0.3));
    if (people.ids.length < DISCOVERY_MIN_PEOPLE) {
      throw new PersonaException('DISCOVERY_NOT_ENOUGH_PEOPLE', `a discovery needs at least ${DISCOVERY_MIN_PEOPLE} people; the workspace has ${people.ids.length}`);
    }
    const matrix = buildFeatureMatrix(people);
    if (matrix.columns.length === 0) throw new PersonaException('DISCOVERY_NO_FEATURES', 'no feature varies across the workspace\'s people: nothing to cluster on');
    const points = { values: matrix.values, dims: matrix.columns.length };
    await onProgress?.('clustering', 0.3);
    const clustering = await chooseClustering(points, { ...params, minK: Math.min(params.minK, people.ids.length - 1) }, (done, of) => onProgress?.('clustering', 0.3 + 0.6 * (done / of)));
    await onProgress?.('assigning', 0.9);
    const clusters = nearestCentroids(points, clustering.centroids);
    await onProgress?.('describing', 0.95);
    const drafts = buildDrafts(people, matrix, clusters, clustering.k);
    // Clusters numbered as their drafts: largest first.
    const numberOf = new Int32Array(clustering.k);
    const sizes = Array.from({ length: clustering.k }, (_, c) => ({ c, size: 0 }));
    for (const c of clusters) sizes[c]!.size++;
    sizes.filter((s) => s.size > 0).sort((a, b) => b.size - a.size || a.c - b.c).forEach((s, i) => (numberOf[s.c] = i + 1));
    const labels = clusters.map((c) => numberOf[c]!);
    return {
      summary: {
        people: people.ids.length,
        sampleSize: clustering.sampleSize,
        k: clustering.k,
        silhouettes: clustering.tried,
        features: matrix.used.map((f) => ({ feature: f.key, label: f.label, missing: matrix.stats.get(f.key)?.missing ?? people.categorical.get(f.key)?.filter((v) => v === null).length ?? 0 })),
        dropped: matrix.dropped,
        currency: people.currency,
      },
      drafts,
      ids: people.ids,
      labels,
    };
  }

  private async drain(): Promise<number> {
    let ran = 0;
    for (let row = await this.claim(); row; row = await this.claim()) {
      await this.work(row);
      ran++;
    }
    return ran;
  }

  /** Takes a discovery (the oldest due one, or `id`): queued, or running without progress for a while. */
  private claim(id?: string): Promise<DiscoveryRow | undefined> {
    return claimJob<DiscoveryRow>(this.dataSource, 'persona_discoveries', COLUMNS, STALLED_AFTER_SECONDS, id);
  }

  /** Runs a claimed discovery to its end, its progress and heartbeat written as it goes; stores its drafts with its end in one transaction. */
  private async work(row: DiscoveryRow, onProgress?: (discovery: DiscoveryView) => void): Promise<void> {
    const report = async (phase: DiscoveryPhase, progress: number) => {
      const [updated]: DiscoveryRow[] = await this.dataSource.query(
        `WITH updated AS (UPDATE persona_discoveries SET phase = $2, progress = $3, heartbeat_at = now() WHERE id = $1 RETURNING ${COLUMNS}) SELECT * FROM updated`,
        [row.id, phase, progress],
      );
      if (updated && onProgress) onProgress(view(updated, []));
    };
    try {
      const result = await this.discover(row.workspace_id, row.params, report);
      await this.dataSource.transaction(async (manager) => {
        // A run taken over from a process that looked stalled may have ended there meanwhile: the first end stands.
        const [current] = await manager.query(`SELECT status FROM persona_discoveries WHERE id = $1 FOR UPDATE`, [row.id]);
        if (current?.status !== 'running') return;
        for (const draft of result.drafts) {
          await manager.query(`INSERT INTO persona_discovery_drafts (discovery_id, number, size, share, draft) VALUES ($1, $2, $3, $4, $5)`, [row.id, draft.number, draft.size, draft.share, JSON.stringify(draft)]);
        }
        await manager.query(`UPDATE persona_discoveries SET status = 'succeeded', phase = 'done', progress = 1, summary = $2, finished_at = now() WHERE id = $1`, [row.id, JSON.stringify(result.summary)]);
      });
    } catch (error) {
      // A domain refusal (too few people) is the run's answer; anything else is logged too.
      if (!(error instanceof PersonaException)) this.logger.error({ err: error, discoveryId: row.id }, 'a persona discovery failed');
      await this.dataSource.query(`UPDATE persona_discoveries SET status = 'failed', error = $2, finished_at = now() WHERE id = $1 AND status = 'running'`, [
        row.id,
        error instanceof Error ? error.message.slice(0, 500) : 'failed',
      ]);
    }
  }
}

function view(row: DiscoveryRow, drafts: DraftRow[]): DiscoveryView {
  const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);
  return {
    id: row.id,
    status: row.status,
    phase: row.phase,
    progress: Number(row.progress),
    params: row.params,
    summary: row.summary,
    error: row.error,
    drafts: drafts.map((d) => ({ ...d.draft, number: d.number, acceptedPersonaId: d.accepted_persona_id, acceptedAt: iso(d.accepted_at) })),
    createdAt: iso(row.created_at)!,
    startedAt: iso(row.started_at),
    finishedAt: iso(row.finished_at),
  };
}
