import { Body, Controller, Get, HttpCode, type OnApplicationShutdown, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import { DeadLetterRetryService, SyncRunsService, SyncService } from '@portrait/core';
import { problemResponse } from '@portrait/core/http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { CurrentWorkspace, type AdminWorkspace } from '../auth/admin-request.js';
import { Audited } from '../audit/audited.decorator.js';
import { AdminRoute, INVALID_INPUT } from '../openapi/admin-route.decorators.js';
import { pageQuery, uuidParam } from '../openapi/admin-schemas.js';
import { writeRunEvents } from './run-events.js';
import { runOut } from './run-view.js';
import { deadLetterPageSchema, deadLetterRetrySchema, deadLetterSchema, retryDeadLettersSchema, runSchema } from './source.schemas.js';

/** A run of a source: read it, follow it live, cancel it, read what it could not store. */
@ApiTags('sources')
@Controller('admin/api/workspaces/:workspace/runs')
export class RunsController implements OnApplicationShutdown {
  /** Ends the live streams when the app stops, so that closing it does not wait for runs to end. */
  private readonly shutdown = new AbortController();

  constructor(
    private readonly runs: SyncRunsService,
    private readonly sync: SyncService,
    private readonly retries: DeadLetterRetryService,
  ) {}

  onApplicationShutdown(): void {
    this.shutdown.abort();
  }

  @Get(':runId')
  @AdminRoute({ workspace: true })
  @ApiParam(uuidParam('runId'))
  @ApiOperation({ summary: 'Get a run', description: 'Its status, times, counts per stream, warnings and error.' })
  @ApiOkResponse({ standardSchema: runSchema, description: 'The run' })
  async getRun(@CurrentWorkspace() workspace: AdminWorkspace, @Param('runId') runId: string) {
    return runOut(await this.runs.get(runId, workspace.id));
  }

  @Get(':runId/events')
  @AdminRoute({ workspace: true })
  @ApiParam(uuidParam('runId'))
  @ApiProduces('text/event-stream')
  @ApiOperation({
    summary: 'Follow a run live',
    description: [
      'Server-sent events until the run ends, then the stream closes:',
      '`event: progress` now and on every change — `{runId, status, currentStream, stats, totals: {read, stored, deadLettered}}` —',
      'then one `event: end` whose data is the whole run (as `GET …/runs/{runId}`). A run that already ended answers its last progress and its end at once.',
    ].join(' '),
  })
  @ApiOkResponse({ description: 'A text/event-stream of `progress` events and one `end` event', content: { 'text/event-stream': { schema: { type: 'string' } } } })
  async followRun(@CurrentWorkspace() workspace: AdminWorkspace, @Param('runId') runId: string, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    // Read before answering: an unknown run is a 404 problem like any other.
    const first = await this.runs.get(runId, workspace.id);
    reply.hijack();
    reply.raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      'request-id': request.id,
    });
    await writeRunEvents(reply.raw, () => this.runs.get(first.id, workspace.id), first, this.shutdown.signal);
  }

  @Post(':runId/cancel')
  @HttpCode(202)
  @AdminRoute({ workspace: true, mutating: true })
  @Audited('sync_run.cancel', 'sync_run', 'runId')
  @ApiParam(uuidParam('runId'))
  @ApiOperation({
    summary: 'Cancel a run',
    description: 'A queued run is cancelled at once; a running one stops at its next batch (its committed checkpoints are kept, so the next run resumes from them).',
  })
  @ApiAcceptedResponse({ standardSchema: runSchema, description: 'The run, with `cancelRequested`' })
  @ApiResponse(problemResponse(409, 'The run has already ended (`SYNC_RUN_ENDED`)'))
  async cancelRun(@CurrentWorkspace() workspace: AdminWorkspace, @Param('runId') runId: string) {
    return runOut(await this.sync.cancel(runId, workspace.id));
  }

  @Get(':runId/dead-letters')
  @AdminRoute({ workspace: true })
  @Audited('sync_run.dead_letters.read', 'sync_run', 'runId')
  @ApiParam(uuidParam('runId'))
  @ApiOperation({
    summary: 'List a run\'s dead letters',
    description: 'The records the run could not store, each with its reason and location, without the record itself; page with `cursor`.',
  })
  @ApiOkResponse({ standardSchema: deadLetterPageSchema, description: 'A page of dead letters' })
  @ApiResponse(INVALID_INPUT)
  listRunDeadLetters(@CurrentWorkspace() workspace: AdminWorkspace, @Param('runId') runId: string, @Query({ schema: pageQuery }) query: z.output<typeof pageQuery>) {
    return this.runs.deadLettersOfRun(workspace.id, runId, query);
  }

  @Get(':runId/dead-letters/:deadLetterId')
  @AdminRoute({ workspace: true })
  @Audited('dead_letter.read', 'dead_letter', 'deadLetterId')
  @ApiParam(uuidParam('runId'))
  @ApiParam(uuidParam('deadLetterId'))
  @ApiOperation({ summary: 'Get a dead letter', description: 'With the record as it came from the channel (personal data: the read is written to the audit log).' })
  @ApiOkResponse({ standardSchema: deadLetterSchema, description: 'The dead letter' })
  getRunDeadLetter(@CurrentWorkspace() workspace: AdminWorkspace, @Param('runId') runId: string, @Param('deadLetterId') deadLetterId: string) {
    return this.runs.deadLetterOfRun(workspace.id, runId, deadLetterId);
  }

  @Post(':runId/dead-letters/retry')
  @HttpCode(200)
  @AdminRoute({ workspace: true, mutating: true })
  @Audited('sync_run.dead_letters.retry', 'sync_run', 'runId')
  @ApiParam(uuidParam('runId'))
  @ApiOperation({
    summary: 'Retry a run\'s dead letters',
    description: [
      'Submits to the ingest again the dead letters whose record is a fact refused for what it holds (a blocked identity value, a limit, no usable identity),',
      'after a settings change lifted the cause: those stored now are deleted, the others keep the reason the ingest gives today.',
      'Records that are not a fact (the connector could not read them) are answered as `notRetryable` and kept: correct them at the channel and sync again.',
      'No body (or `{}`) retries every dead letter of the run, `{ "ids": [...] }` those named.',
    ].join(' '),
  })
  @ApiOkResponse({ standardSchema: deadLetterRetrySchema, description: 'What the retry came to' })
  @ApiResponse(INVALID_INPUT)
  @ApiResponse(problemResponse(404, 'The run, or one of the named dead letters, does not exist (`SYNC_RUN_NOT_FOUND`, `DEAD_LETTER_NOT_FOUND`): nothing was retried'))
  @ApiResponse(problemResponse(409, 'Some of these dead letters were retried or deleted meanwhile (`DEAD_LETTER_RETRY_CONFLICT`): that chunk stored nothing'))
  retryRunDeadLetters(@CurrentWorkspace() workspace: AdminWorkspace, @Param('runId') runId: string, @Body({ schema: retryDeadLettersSchema }) body: z.output<typeof retryDeadLettersSchema>) {
    return this.retries.retryOfRun(workspace.id, runId, body?.ids);
  }
}
