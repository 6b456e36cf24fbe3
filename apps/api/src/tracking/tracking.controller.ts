import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { ApiKeyPrincipal } from '@portrait/core';
import type { z } from 'zod';
import { Principal } from '../auth/principal.decorator.js';
import { RequireScope } from '../auth/require-scope.decorator.js';
import { problemResponse } from '@portrait/core/http';
import {
  aliasMessage,
  batchRequest,
  groupMessage,
  identifyMessage,
  pageMessage,
  screenMessage,
  trackingResultSchema,
  trackMessage,
} from './segment-message.schemas.js';
import { TrackingService } from './tracking.service.js';

const INVALID = problemResponse(400, 'An invalid message (each offending field is named); nothing was stored');
const TOO_LARGE = problemResponse(413, 'Over 32 KB for a single call, or 500 KB for a batch');
const STORED = { standardSchema: trackingResultSchema, description: 'Stored' };

/**
 * Segment's HTTP Tracking API (same paths, payloads, limits and Basic authentication with the key as
 * write key), so that Segment's libraries send to Portrait by changing only their host.
 */
@ApiTags('tracking')
@RequireScope('events:write')
@Controller('v1')
export class TrackingController {
  constructor(private readonly tracking: TrackingService) {}

  @Post('identify')
  @HttpCode(200)
  @ApiOperation({ summary: 'Identify a user', description: 'Ties a user to their identifiers and records traits about them.' })
  @ApiOkResponse(STORED)
  @ApiResponse(INVALID)
  @ApiResponse(TOO_LARGE)
  identify(@Principal() principal: ApiKeyPrincipal, @Body({ schema: identifyMessage }) message: z.output<typeof identifyMessage>) {
    return this.tracking.single(principal, 'identify', message);
  }

  @Post('track')
  @HttpCode(200)
  @ApiOperation({ summary: 'Track an event', description: 'Records an action of a user; `event` is stored in snake case, deduplicated by `messageId`.' })
  @ApiOkResponse(STORED)
  @ApiResponse(INVALID)
  @ApiResponse(TOO_LARGE)
  track(@Principal() principal: ApiKeyPrincipal, @Body({ schema: trackMessage }) message: z.output<typeof trackMessage>) {
    return this.tracking.single(principal, 'track', message);
  }

  @Post('page')
  @HttpCode(200)
  @ApiOperation({ summary: 'Record a page view', description: 'Stored as a `page_viewed` event.' })
  @ApiOkResponse(STORED)
  @ApiResponse(INVALID)
  @ApiResponse(TOO_LARGE)
  page(@Principal() principal: ApiKeyPrincipal, @Body({ schema: pageMessage }) message: z.output<typeof pageMessage>) {
    return this.tracking.single(principal, 'page', message);
  }

  @Post('screen')
  @HttpCode(200)
  @ApiOperation({ summary: 'Record a screen view', description: 'Stored as a `screen_viewed` event.' })
  @ApiOkResponse(STORED)
  @ApiResponse(INVALID)
  @ApiResponse(TOO_LARGE)
  screen(@Principal() principal: ApiKeyPrincipal, @Body({ schema: screenMessage }) message: z.output<typeof screenMessage>) {
    return this.tracking.single(principal, 'screen', message);
  }

  @Post('group')
  @HttpCode(200)
  @ApiOperation({ summary: 'Tie a user to an account', description: 'The group becomes an account profile (identifier `group_id`) linked to the user, with the group traits.' })
  @ApiOkResponse(STORED)
  @ApiResponse(INVALID)
  @ApiResponse(TOO_LARGE)
  group(@Principal() principal: ApiKeyPrincipal, @Body({ schema: groupMessage }) message: z.output<typeof groupMessage>) {
    return this.tracking.single(principal, 'group', message);
  }

  @Post('alias')
  @HttpCode(200)
  @ApiOperation({ summary: 'Join two identities', description: '`previousId` (taken as an anonymous id) and `userId` become one profile, subject to the identity rules of the workspace.' })
  @ApiOkResponse(STORED)
  @ApiResponse(INVALID)
  @ApiResponse(TOO_LARGE)
  alias(@Principal() principal: ApiKeyPrincipal, @Body({ schema: aliasMessage }) message: z.output<typeof aliasMessage>) {
    return this.tracking.single(principal, 'alias', message);
  }

  @Post('batch')
  @HttpCode(200)
  @ApiOperation({ summary: 'Send many messages at once', description: 'Up to 2,500 messages and 500 KB, each message at most 32 KB; stored together or, when any message is invalid, not at all.' })
  @ApiOkResponse(STORED)
  @ApiResponse(INVALID)
  @ApiResponse(TOO_LARGE)
  batch(@Principal() principal: ApiKeyPrincipal, @Body({ schema: batchRequest }) request: z.output<typeof batchRequest>) {
    return this.tracking.batch(principal, request);
  }
}
