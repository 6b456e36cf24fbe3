import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { WebhooksService, type ApiKeyPrincipal } from '@portrait/core';
import type { z } from 'zod';
import { Principal } from '../auth/principal.decorator.js';
import { RequireScope } from '../auth/require-scope.decorator.js';
import { problemResponse } from '@portrait/core/http';
import {
  createdWebhookSubscriptionSchema,
  createWebhookSubscriptionBody,
  deliveriesQuery,
  webhookDeliveryPageSchema,
  webhookSubscriptionListSchema,
  webhookSubscriptionSchema,
} from './webhook.schemas.js';

const SUBSCRIPTION_ID = { name: 'id', description: 'A webhook subscription id', schema: { type: 'string', format: 'uuid' } } as const;
const NOT_FOUND = problemResponse(404, 'No such subscription in the key\'s workspace');

/** Outgoing webhooks of the key's workspace: signed POSTs of segment, profile and persona events. */
@ApiTags('webhooks')
@RequireScope('webhooks:manage')
@Controller('v1/webhook-subscriptions')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'Subscribe to events', description: 'Returns the signing secret once. Deliveries are retried with exponential backoff for 24 hours.' })
  @ApiCreatedResponse({ standardSchema: createdWebhookSubscriptionSchema, description: 'The subscription and its secret' })
  @ApiResponse(problemResponse(400, 'Invalid subscription (each offending field is named)'))
  createWebhookSubscription(@Principal() principal: ApiKeyPrincipal, @Body({ schema: createWebhookSubscriptionBody }) body: z.output<typeof createWebhookSubscriptionBody>) {
    return this.webhooks.create(principal.workspaceId, body);
  }

  @Get()
  @ApiOperation({ summary: 'List subscriptions' })
  @ApiOkResponse({ standardSchema: webhookSubscriptionListSchema, description: 'The live subscriptions' })
  async listWebhookSubscriptions(@Principal() principal: ApiKeyPrincipal) {
    return { data: await this.webhooks.list(principal.workspaceId) };
  }

  @Get(':id')
  @ApiOperation({ summary: 'Get a subscription' })
  @ApiParam(SUBSCRIPTION_ID)
  @ApiOkResponse({ standardSchema: webhookSubscriptionSchema, description: 'The subscription' })
  @ApiResponse(NOT_FOUND)
  getWebhookSubscription(@Principal() principal: ApiKeyPrincipal, @Param('id') id: string) {
    return this.webhooks.get(principal.workspaceId, id);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a subscription', description: 'Stops deliveries; pending ones are dropped.' })
  @ApiParam(SUBSCRIPTION_ID)
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiResponse(NOT_FOUND)
  async deleteWebhookSubscription(@Principal() principal: ApiKeyPrincipal, @Param('id') id: string): Promise<void> {
    await this.webhooks.delete(principal.workspaceId, id);
  }

  @Get(':id/deliveries')
  @ApiOperation({ summary: 'Read a subscription\'s delivery log', description: 'Newest event first: status, attempts, last response.' })
  @ApiParam(SUBSCRIPTION_ID)
  @ApiOkResponse({ standardSchema: webhookDeliveryPageSchema, description: 'A page of deliveries' })
  @ApiResponse(problemResponse(400, 'Invalid query parameters (each offending field is named)'))
  @ApiResponse(NOT_FOUND)
  listWebhookDeliveries(@Principal() principal: ApiKeyPrincipal, @Param('id') id: string, @Query({ schema: deliveriesQuery }) query: z.output<typeof deliveriesQuery>) {
    return this.webhooks.deliveries(principal.workspaceId, id, query);
  }
}
