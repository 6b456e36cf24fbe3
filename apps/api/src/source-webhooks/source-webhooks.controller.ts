import { Controller, Get, HttpCode, Inject, Param, Post, Req, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { PORTRAIT_CONFIG, SyncService, type PortraitConfig, type WebhookOutcome } from '@portrait/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { problemResponse } from '@portrait/core/http';
import { ApiProblem } from '@portrait/core/http';
import { RATE_LIMITER, type RateLimiter } from '../rate-limit/rate-limiter.js';
import { sourceWebhookReceiptSchema } from './source-webhook.schemas.js';

const SOURCE_ID = { name: 'sourceId', description: 'The source the channel was configured to call', schema: { type: 'string', format: 'uuid' } } as const;
const DESCRIPTION =
  'The URL to give a channel (Shopify, Stripe, Mailchimp, Meta…) for its webhooks. No API key: the channel signs its calls, and the ' +
  "source's connector verifies the signature over the exact bytes received before anything is stored. The facts go through the same ingest " +
  'as syncs; those the ingest refuses are dead-lettered. A privacy request the channel forwards (Shopify\'s customers/redact and ' +
  'customers/data_request) is carried out before the answer: the profiles of the person\'s identities are erased, or their export is kept, ' +
  'sealed, for an admin; a redelivery does nothing new. The answer is what the channel expects when it expects something (a challenge echo), ' +
  'otherwise a receipt. Each source takes at most PORTRAIT_WEBHOOK_RATE_LIMIT calls a minute (6,000 by default); beyond, a 429 with ' +
  'Retry-After, which channels retry.';

/** The request as Fastify hands it, with the bytes it read (`rawBody: true` in main.ts). */
type RawRequest = FastifyRequest & { rawBody?: Buffer };

/** Inbound webhooks of channels, verified and mapped by the source's connector. */
@ApiTags('source webhooks')
@Controller('v1/webhooks/sources')
export class SourceWebhooksController {
  constructor(
    private readonly sync: SyncService,
    @Inject(RATE_LIMITER) private readonly limiter: RateLimiter,
    @Inject(PORTRAIT_CONFIG) private readonly config: PortraitConfig,
  ) {}

  @Post(':sourceId')
  @HttpCode(200)
  @ApiOperation({ summary: 'Receive a channel webhook', description: DESCRIPTION })
  @ApiParam(SOURCE_ID)
  @ApiOkResponse({ standardSchema: sourceWebhookReceiptSchema, description: 'Verified and ingested (or the reply the channel expects)' })
  @ApiResponse(problemResponse(400, 'The connector cannot read the payload, or a privacy request it forwards is malformed: nothing was stored'))
  @ApiResponse(problemResponse(401, 'The signature does not verify: nothing was stored'))
  @ApiResponse(problemResponse(404, 'No such source'))
  @ApiResponse(problemResponse(422, 'The source is disabled, or its connector receives no webhooks'))
  @ApiResponse(problemResponse(429, 'Over the per-source limit: retry after Retry-After seconds'))
  async receiveSourceWebhook(@Param('sourceId') sourceId: string, @Req() request: RawRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.receive(sourceId, request, reply);
  }

  @Get(':sourceId')
  @ApiOperation({ summary: 'Answer a channel webhook verification', description: 'Some channels verify a webhook URL with a GET: Meta with a challenge to echo, Mailchimp expecting a 200 (its URL carries the secret of the source, as ?secret=…); the connector answers it.' })
  @ApiParam(SOURCE_ID)
  @ApiOkResponse({ description: 'The reply the channel expects' })
  @ApiResponse(problemResponse(401, 'The verification token (or the secret in the URL) does not match'))
  @ApiResponse(problemResponse(404, 'No such source'))
  @ApiResponse(problemResponse(422, 'The source is disabled, or its connector receives no webhooks'))
  @ApiResponse(problemResponse(429, 'Over the per-source limit: retry after Retry-After seconds'))
  async verifySourceWebhook(@Param('sourceId') sourceId: string, @Req() request: RawRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.receive(sourceId, request, reply);
  }

  /** A call of either kind: one token of the source's rate limit, then the connector verifies and answers it. */
  private async receive(sourceId: string, request: RawRequest, reply: FastifyReply): Promise<unknown> {
    await this.spendToken(sourceId);
    return this.answer(await this.sync.handleWebhook(sourceId, webhookRequest(request)), reply);
  }

  /** One token of the source's bucket (shared through Redis when REDIS_URL is set), taken before anything is read or verified. */
  private async spendToken(sourceId: string): Promise<void> {
    const decision = await this.limiter.take(`source-webhook:${sourceId}`, this.config.webhookRateLimitPerMinute);
    if (!decision.allowed) {
      throw new ApiProblem(429, 'RATE_LIMITED', `this source takes ${decision.limit} webhook calls per minute; retry in ${decision.retryAfterSeconds} s`, {
        headers: { 'Retry-After': String(decision.retryAfterSeconds) },
      });
    }
  }

  private answer(outcome: WebhookOutcome, reply: FastifyReply): unknown {
    if (outcome.response) {
      reply.status(outcome.response.status);
      return outcome.response.body ?? '';
    }
    const { received, created, updated, merged, eventsInserted, rejected } = outcome.result;
    return { received, created, updated, merged, eventsInserted, rejected };
  }
}

function webhookRequest(request: RawRequest) {
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(request.headers)) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  const query: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries((request.query ?? {}) as Record<string, unknown>)) query[name] = Array.isArray(value) ? String(value[0]) : value === undefined ? undefined : String(value);
  return { headers, rawBody: request.rawBody ?? Buffer.alloc(0), body: request.body, query };
}
