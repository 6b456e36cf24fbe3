import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { createWebhookSubscriptionSchema, WEBHOOK_EVENT_TYPES, WebhooksService } from '@portrait/core';
import { isoDateTime, problemResponse } from '@portrait/core/http';
import { z } from 'zod';
import { CurrentWorkspace, type AdminWorkspace } from '../auth/admin-request.js';
import { Audited } from '../audit/audited.decorator.js';
import { AdminRoute, INVALID_INPUT } from '../openapi/admin-route.decorators.js';
import { pageQuery, uuidParam } from '../openapi/admin-schemas.js';

const subscriptionSchema = z
  .object({ id: z.uuid(), url: z.string(), events: z.array(z.enum(WEBHOOK_EVENT_TYPES)), description: z.string().nullable(), createdAt: isoDateTime })
  .meta({ id: 'WebhookSubscription', description: 'Where the workspace\'s events are sent (never the signing secret)' });
const withSecretSchema = subscriptionSchema
  .extend({ secret: z.string().describe('The signing secret (`whsec_…`): shown this once, stored sealed; verify the `Portrait-Signature` header with it') })
  .meta({ id: 'WebhookSubscriptionWithSecret' });
const deliverySchema = z
  .object({
    id: z.uuid(),
    eventId: z.uuid().describe('The same on every attempt and redelivery: receivers deduplicate on it'),
    eventType: z.string(),
    status: z.enum(['pending', 'delivered', 'failed']),
    attempts: z.number().int(),
    nextAttemptAt: isoDateTime.nullable(),
    lastAttemptAt: isoDateTime.nullable(),
    lastResponseStatus: z.number().int().nullable().describe('The HTTP status the receiver last answered'),
    lastError: z.string().nullable(),
    deliveredAt: isoDateTime.nullable(),
    createdAt: isoDateTime,
  })
  .meta({ id: 'WebhookDelivery' });
const createBody = createWebhookSubscriptionSchema.meta({ id: 'CreateWebhookSubscription' });
const SECRET_KEY_REQUIRED = problemResponse(503, 'The server has no PORTRAIT_SECRET_KEY to seal signing secrets with (`SECRET_KEY_REQUIRED`)');

/** The workspace's webhook subscriptions: create and rotate (the secret is answered once), list, delete, the delivery log and redelivery. */
@ApiTags('webhooks')
@Controller('admin/api/workspaces/:workspace/webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Post()
  @AdminRoute({ workspace: true, mutating: true })
  @Audited('webhook.create', 'webhook_subscription')
  @ApiOperation({ summary: 'Subscribe to events', description: 'An http(s) URL and the event types sent to it. The signing secret is answered this once.' })
  @ApiCreatedResponse({ standardSchema: withSecretSchema, description: 'The subscription and its secret, shown once' })
  @ApiResponse(INVALID_INPUT)
  @ApiResponse(SECRET_KEY_REQUIRED)
  createWebhook(@CurrentWorkspace() workspace: AdminWorkspace, @Body({ schema: createBody }) body: z.output<typeof createBody>) {
    return this.webhooks.create(workspace.id, body);
  }

  @Get()
  @AdminRoute({ workspace: true })
  @ApiOperation({ summary: 'List webhook subscriptions', description: 'Oldest first.' })
  @ApiOkResponse({ standardSchema: z.object({ data: z.array(subscriptionSchema) }).meta({ id: 'WebhookSubscriptionList' }), description: 'The subscriptions' })
  async listWebhooks(@CurrentWorkspace() workspace: AdminWorkspace) {
    return { data: await this.webhooks.list(workspace.id) };
  }

  @Delete(':id')
  @HttpCode(204)
  @AdminRoute({ workspace: true, mutating: true })
  @Audited('webhook.delete', 'webhook_subscription', 'id')
  @ApiParam(uuidParam('id'))
  @ApiOperation({ summary: 'Delete a webhook subscription', description: 'Nothing more is sent to it (pending deliveries are dropped); its delivery log stays.' })
  @ApiNoContentResponse({ description: 'Deleted' })
  async deleteWebhook(@CurrentWorkspace() workspace: AdminWorkspace, @Param('id') id: string): Promise<void> {
    await this.webhooks.delete(workspace.id, id);
  }

  @Post(':id/rotate-secret')
  @HttpCode(200)
  @AdminRoute({ workspace: true, mutating: true })
  @Audited('webhook.secret.rotate', 'webhook_subscription', 'id')
  @ApiParam(uuidParam('id'))
  @ApiOperation({ summary: 'Rotate the signing secret', description: 'A new secret, answered this once; every delivery from now on is signed with it, the old one no longer.' })
  @ApiOkResponse({ standardSchema: withSecretSchema, description: 'The subscription and its new secret, shown once' })
  @ApiResponse(SECRET_KEY_REQUIRED)
  rotateWebhookSecret(@CurrentWorkspace() workspace: AdminWorkspace, @Param('id') id: string) {
    return this.webhooks.rotateSecret(workspace.id, id);
  }

  @Get(':id/deliveries')
  @AdminRoute({ workspace: true })
  @ApiParam(uuidParam('id'))
  @ApiOperation({ summary: 'List recent deliveries', description: 'Newest first, each with its status, attempts and the receiver\'s last answer; page with `cursor`.' })
  @ApiOkResponse({
    standardSchema: z
      .object({ data: z.array(deliverySchema), nextCursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last page') })
      .meta({ id: 'WebhookDeliveryPage' }),
    description: 'A page of deliveries',
  })
  @ApiResponse(INVALID_INPUT)
  listWebhookDeliveries(@CurrentWorkspace() workspace: AdminWorkspace, @Param('id') id: string, @Query({ schema: pageQuery }) query: z.output<typeof pageQuery>) {
    return this.webhooks.deliveries(workspace.id, id, query);
  }

  @Post(':id/deliveries/:deliveryId/redeliver')
  @HttpCode(200)
  @AdminRoute({ workspace: true, mutating: true })
  @Audited('webhook.redeliver', 'webhook_delivery', 'deliveryId')
  @ApiParam(uuidParam('id'))
  @ApiParam(uuidParam('deliveryId'))
  @ApiOperation({
    summary: 'Redeliver a delivery',
    description: 'Due at once, whatever its status, with its same event id; the worker sends it within seconds. Retried with backoff while the event is younger than 24 hours.',
  })
  @ApiOkResponse({ standardSchema: deliverySchema, description: 'The delivery, pending again' })
  redeliverWebhook(@CurrentWorkspace() workspace: AdminWorkspace, @Param('id') id: string, @Param('deliveryId') deliveryId: string) {
    return this.webhooks.redeliver(workspace.id, id, deliveryId);
  }
}
