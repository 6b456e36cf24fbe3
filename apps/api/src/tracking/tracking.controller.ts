import { Body, Controller, HttpCode, Post, Res } from '@nestjs/common';
import { ApiHeader, ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
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
import { TrackingService, type TrackingResult } from './tracking.service.js';
import { WAIT_HEADER_DOC, WaitFor } from './tracking-wait.js';

const INVALID = problemResponse(400, 'An invalid message (each offending field is named); nothing was stored');
const TOO_LARGE = problemResponse(413, 'Over 32 KB for a single call, or 500 KB for a batch');
const STORED = { standardSchema: trackingResultSchema, description: 'Stored durably (and on the profile when `processed`)' };
const WAIT_RAN_OUT = { status: 202, standardSchema: trackingResultSchema, description: 'Stored durably; the Portrait-Wait time ran out before the messages were on the profile' };

/** 202 when the caller waited and the messages are not on the profile yet. */
function answer(reply: FastifyReply, waitMs: number, result: Promise<TrackingResult>): Promise<TrackingResult> {
  return result.then((r) => {
    if (waitMs > 0 && !r.processed) reply.status(202);
    return r;
  });
}

/**
 * Segment's HTTP Tracking API (same paths, payloads, limits and Basic authentication with the key as
 * write key), so that Segment's libraries send to Portrait by changing only their host.
 */
@ApiTags('tracking')
@ApiHeader(WAIT_HEADER_DOC)
@RequireScope('events:write')
@Controller('v1')
export class TrackingController {
  constructor(private readonly tracking: TrackingService) {}

  @Post('identify')
  @HttpCode(200)
  @ApiOperation({ summary: 'Identify a user', description: 'Ties a user to their identifiers and records traits about them.' })
  @ApiOkResponse(STORED)
  @ApiResponse(WAIT_RAN_OUT)
  @ApiResponse(INVALID)
  @ApiResponse(TOO_LARGE)
  identify(@Principal() principal: ApiKeyPrincipal, @Body({ schema: identifyMessage }) message: z.output<typeof identifyMessage>, @WaitFor() waitMs: number, @Res({ passthrough: true }) reply: FastifyReply) {
    return answer(reply, waitMs, this.tracking.single(principal, 'identify', message, waitMs));
  }

  @Post('track')
  @HttpCode(200)
  @ApiOperation({ summary: 'Track an event', description: 'Records an action of a user; `event` is stored in snake case, deduplicated by `messageId`.' })
  @ApiOkResponse(STORED)
  @ApiResponse(WAIT_RAN_OUT)
  @ApiResponse(INVALID)
  @ApiResponse(TOO_LARGE)
  track(@Principal() principal: ApiKeyPrincipal, @Body({ schema: trackMessage }) message: z.output<typeof trackMessage>, @WaitFor() waitMs: number, @Res({ passthrough: true }) reply: FastifyReply) {
    return answer(reply, waitMs, this.tracking.single(principal, 'track', message, waitMs));
  }

  @Post('page')
  @HttpCode(200)
  @ApiOperation({ summary: 'Record a page view', description: 'Stored as a `page_viewed` event.' })
  @ApiOkResponse(STORED)
  @ApiResponse(WAIT_RAN_OUT)
  @ApiResponse(INVALID)
  @ApiResponse(TOO_LARGE)
  page(@Principal() principal: ApiKeyPrincipal, @Body({ schema: pageMessage }) message: z.output<typeof pageMessage>, @WaitFor() waitMs: number, @Res({ passthrough: true }) reply: FastifyReply) {
    return answer(reply, waitMs, this.tracking.single(principal, 'page', message, waitMs));
  }

  @Post('screen')
  @HttpCode(200)
  @ApiOperation({ summary: 'Record a screen view', description: 'Stored as a `screen_viewed` event.' })
  @ApiOkResponse(STORED)
  @ApiResponse(WAIT_RAN_OUT)
  @ApiResponse(INVALID)
  @ApiResponse(TOO_LARGE)
  screen(@Principal() principal: ApiKeyPrincipal, @Body({ schema: screenMessage }) message: z.output<typeof screenMessage>, @WaitFor() waitMs: number, @Res({ passthrough: true }) reply: FastifyReply) {
    return answer(reply, waitMs, this.tracking.single(principal, 'screen', message, waitMs));
  }

  @Post('group')
  @HttpCode(200)
  @ApiOperation({ summary: 'Tie a user to an account', description: 'The group becomes an account profile (identifier `group_id`) linked to the user, with the group traits.' })
  @ApiOkResponse(STORED)
  @ApiResponse(WAIT_RAN_OUT)
  @ApiResponse(INVALID)
  @ApiResponse(TOO_LARGE)
  group(@Principal() principal: ApiKeyPrincipal, @Body({ schema: groupMessage }) message: z.output<typeof groupMessage>, @WaitFor() waitMs: number, @Res({ passthrough: true }) reply: FastifyReply) {
    return answer(reply, waitMs, this.tracking.single(principal, 'group', message, waitMs));
  }

  @Post('alias')
  @HttpCode(200)
  @ApiOperation({ summary: 'Join two identities', description: '`previousId` (taken as an anonymous id) and `userId` become one profile, subject to the identity rules of the workspace.' })
  @ApiOkResponse(STORED)
  @ApiResponse(WAIT_RAN_OUT)
  @ApiResponse(INVALID)
  @ApiResponse(TOO_LARGE)
  alias(@Principal() principal: ApiKeyPrincipal, @Body({ schema: aliasMessage }) message: z.output<typeof aliasMessage>, @WaitFor() waitMs: number, @Res({ passthrough: true }) reply: FastifyReply) {
    return answer(reply, waitMs, this.tracking.single(principal, 'alias', message, waitMs));
  }

  @Post('batch')
  @HttpCode(200)
  @ApiOperation({ summary: 'Send many messages at once', description: 'Up to 2,500 messages and 500 KB, each message at most 32 KB; stored together or, when any message is invalid, not at all.' })
  @ApiOkResponse(STORED)
  @ApiResponse(WAIT_RAN_OUT)
  @ApiResponse(INVALID)
  @ApiResponse(TOO_LARGE)
  batch(@Principal() principal: ApiKeyPrincipal, @Body({ schema: batchRequest }) request: z.output<typeof batchRequest>, @WaitFor() waitMs: number, @Res({ passthrough: true }) reply: FastifyReply) {
    return answer(reply, waitMs, this.tracking.batch(principal, request, waitMs));
  }
}
