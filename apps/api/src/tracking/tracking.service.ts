import { Injectable } from '@nestjs/common';
import { IngestService, type ApiKeyPrincipal } from '@portrait/core';
import type { ProfileFactInput } from '@portrait/connector-sdk';
import { ApiProblem, validationProblem, type FieldError } from '@portrait/core/http';
import type { BatchRequest, SegmentMessage, SegmentMessageType } from './segment-message.schemas.js';
import { segmentMessageToFact, type MessageEnvelope } from './segment-to-fact.js';

/** Segment's limits: 32 KB per message (a single call, or each message of a batch). The 500 KB per batch is the body limit of the server. */
export const MAX_MESSAGE_BYTES = 32 * 1024;
export const MAX_BATCH_BYTES = 500 * 1024;

export interface TrackingResult {
  success: true;
  received: number;
  rejected: number;
  rejections: { index: number; reason: string }[];
  warnings: string[];
}

/**
 * Turns tracking calls into ProfileFacts and ingests them in one batch through IngestService, so that
 * identity resolution, trait merging and event deduplication apply as for every other source. A
 * request with any invalid message stores nothing and names each offending field.
 */
@Injectable()
export class TrackingService {
  constructor(private readonly ingest: IngestService) {}

  async single(principal: ApiKeyPrincipal, type: SegmentMessageType, message: SegmentMessage): Promise<TrackingResult> {
    const size = Buffer.byteLength(JSON.stringify(message));
    if (size > MAX_MESSAGE_BYTES) {
      throw new ApiProblem(413, 'PAYLOAD_TOO_LARGE', `a ${type} call may be at most 32 KB; this one is ${(size / 1024).toFixed(1)} KB (send large volumes through /v1/batch)`);
    }
    return this.store(principal, [{ type, message }], { receivedAt: new Date() }, false);
  }

  async batch(principal: ApiKeyPrincipal, request: BatchRequest): Promise<TrackingResult> {
    const tooLarge: FieldError[] = [];
    request.batch.forEach((message, index) => {
      const size = Buffer.byteLength(JSON.stringify(message));
      if (size > MAX_MESSAGE_BYTES) tooLarge.push({ field: `batch.${index}`, message: `a message may be at most 32 KB; this one is ${(size / 1024).toFixed(1)} KB` });
    });
    if (tooLarge.length) throw validationProblem(tooLarge, 'messages over the size limit');
    return this.store(
      principal,
      request.batch.map((message) => ({ type: message.type, message })),
      { receivedAt: new Date(), context: request.context, sentAt: request.sentAt },
      true,
    );
  }

  private async store(
    principal: ApiKeyPrincipal,
    messages: { type: SegmentMessageType; message: SegmentMessage }[],
    envelope: Omit<MessageEnvelope, 'path'>,
    inBatch: boolean,
  ): Promise<TrackingResult> {
    const facts: ProfileFactInput[] = [];
    const errors: FieldError[] = [];
    const warnings: string[] = [];
    messages.forEach(({ type, message }, index) => {
      const mapped = segmentMessageToFact(type, message, { ...envelope, path: inBatch ? `batch.${index}.` : '' });
      errors.push(...mapped.errors);
      warnings.push(...mapped.warnings);
      if (mapped.fact) facts.push(mapped.fact);
    });
    if (errors.length) throw validationProblem(errors);
    const result = await this.ingest.ingest(principal.workspaceId, facts);
    return {
      success: true,
      received: messages.length,
      rejected: result.rejected,
      rejections: result.rejections.map((r) => ({ index: r.index, reason: r.reason })),
      warnings: [...warnings, ...result.warnings],
    };
  }
}
