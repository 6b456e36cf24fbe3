import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, QueryRunner } from 'typeorm';
import { inTransaction } from '../../engine/database/sql.js';
import { ProfileChangesService } from '../profiles/profile-changes.service.js';
import { ProfileRecomputeService } from '../profiles/profile-recompute.service.js';
import { IngestPipeline } from './ingest-pipeline.js';
import { ingestResult, type IngestResult } from './ingest-result.js';
import { writeDeadLetters, type DeadLetter, type DeadLetterSource } from './writers/dead-letters.writer.js';

export type { IngestRejection, IngestResult } from './ingest-result.js';
export type { DeadLetter } from './writers/dead-letters.writer.js';

/** Where a batch came from, for the dead letters of what it could not ingest. */
export interface IngestDeadLetters extends DeadLetterSource {
  /** Records the connector could not turn into facts: dead-lettered with the batch, as they are. */
  invalid?: DeadLetter[];
  /** Where the batch's fact at `index` came from, for the dead letter of a refused fact ("fact 3 of a rows batch"). */
  locate(index: number): string;
}

/** A batch as its transaction wrote it. */
export interface IngestedBatch {
  result: IngestResult;
  /** Dead letters written with it: the invalid records, then the refused facts. */
  deadLettered: number;
}

export interface IngestWithinOptions<T> {
  /** The source of the batch: refused facts and invalid records are dead-lettered under it. Without one, nothing is. */
  deadLetters?: IngestDeadLetters;
  /**
   * The caller's own statements, in the batch's transaction after the ingest and its dead letters (the
   * sync engine's checkpoint and run stats): committed with the batch, or rolled back with it. What it
   * answers comes back as `alongside`.
   */
  alongside?: (runner: QueryRunner, batch: IngestedBatch) => Promise<T>;
  /**
   * Called once the batch's transaction committed, before it is completed: what completing costs (the
   * traits' recompute, then the listeners: segments, personas, webhooks) can be timed from here.
   */
  committed?: (batch: IngestedBatch) => void;
}

/**
 * The single entry point of every source's data. `ingestWithin` writes a batch (`IngestPipeline`) in
 * one transaction with its dead letters and the caller's statements; once that commits, `complete`
 * recomputes the traits and computed traits of the profiles it changed, then publishes the change.
 */
@Injectable()
export class IngestService {
  private readonly logger = new Logger(IngestService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly pipeline: IngestPipeline,
    private readonly changes: ProfileChangesService,
    private readonly recomputer: ProfileRecomputeService,
  ) {}

  /** Ingests a batch in a transaction of its own and completes it (`ingestWithin` with nothing alongside). */
  async ingest(workspaceId: string, facts: unknown[]): Promise<IngestResult> {
    return (await this.ingestWithin(workspaceId, facts)).result;
  }

  /**
   * The one way to ingest: opens a transaction; ingests the batch; dead-letters, when the batch has a
   * source, its invalid records and the facts the ingest refused, each with its location; runs the
   * caller's `alongside` statements; commits all of it together (a crash keeps all of it or none);
   * then, with the connection back in the pool, `complete`s the batch. When it returns, the traits are
   * recomputed and the change is published. An empty batch (a checkpoint alone) costs no ingest statement.
   */
  async ingestWithin<T = undefined>(workspaceId: string, facts: unknown[], options: IngestWithinOptions<T> = {}): Promise<IngestedBatch & { alongside: T }> {
    const batch = await inTransaction(this.dataSource, async (runner) => {
      const result = facts.length ? await this.pipeline.run(runner, workspaceId, facts) : ingestResult(workspaceId, 0);
      let deadLettered = 0;
      if (options.deadLetters) {
        const deadLetters = deadLettersOf(options.deadLetters, facts, result);
        await writeDeadLetters(runner, workspaceId, options.deadLetters, deadLetters);
        deadLettered = deadLetters.length;
      }
      const written: IngestedBatch = { result, deadLettered };
      return { ...written, alongside: (options.alongside ? await options.alongside(runner, written) : undefined) as T };
    });
    options.committed?.(batch);
    // After the connection went back to the pool: the traits' recompute and the listeners take their own.
    await this.complete(batch.result);
    return batch;
  }

  /**
   * After the batch's transaction committed: recomputes the traits of the profiles it changed, then
   * publishes the change. A recompute that fails is logged and stays queued for the worker's sweep: the
   * batch itself is stored.
   */
  async complete(result: IngestResult): Promise<void> {
    let change = result.change;
    if (result.pendingRecompute) {
      try {
        change = { ...change, recomputed: await this.recomputer.runQueued(result.pendingRecompute) };
      } catch (error) {
        this.logger.error({ err: error, workspaceId: change.workspaceId }, 'recomputing the traits of an ingest batch failed; the worker sweep will retry it');
      }
    }
    await this.changes.publish(change);
  }
}

/** The dead letters of a batch: the source's invalid records, then the facts the ingest refused. */
function deadLettersOf(from: IngestDeadLetters, facts: unknown[], result: IngestResult): DeadLetter[] {
  return [...(from.invalid ?? []), ...result.rejections.map((r) => ({ reason: r.reason, payload: facts[r.index] ?? null, location: from.locate(r.index) }))];
}
