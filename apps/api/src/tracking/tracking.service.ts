import { Injectable } from '@nestjs/common';
import { IntakeLogService, type ApiKeyPrincipal } from '@portrait/core';
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
  /** The messages are on the profile (only when the caller waited for it, and not for longer than it asked). */
  processed: boolean;
  warnings: string[];
}

/**
 * Turns tracking calls into ProfileFacts and appends them, in one statement, to the durable intake
 * log, from which the intake processor ingests them through IngestService (identity resolution, trait
 * merging and event deduplication as for every other source). A request with any invalid message
 * stores nothing and names each offending field; a message the ingest refuses later (no usable
 * identity) becomes an intake dead letter. `waitMs` > 0 waits until the messages are on the profile.
 */
@Injectable()
export class TrackingService {
  constructor(private readonly intake: IntakeLogService) {}

  async single(principal: ApiKeyPrincipal, type: SegmentMessageType, message: SegmentMessage, waitMs = 0): Promise<TrackingResult> {
    const size = Buffer.byteLength(JSON.stringify(message));
    if (size > MAX_MESSAGE_BYTES) {
      throw new ApiProblem(413, 'PAYLOAD_TOO_LARGE', `a ${type} call may be at most 32 KB; this one is ${(size / 1024).toFixed(1)} KB (send large volumes through /v1/batch)`);
    }
    return this.store(principal, [{ type, message }], { receivedAt: new Date() }, false, waitMs);
  }

  async batch(principal: ApiKeyPrincipal, request: BatchRequest, waitMs = 0): Promise<TrackingResult> {
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
      waitMs,
    );
  }

  private async store(
    principal: ApiKeyPrincipal,
    messages: { type: SegmentMessageType; message: SegmentMessage }[],
    envelope: Omit<MessageEnvelope, 'path'>,
    inBatch: boolean,
    waitMs: number,
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
    const receipt = await this.intake.append(principal.workspaceId, facts);
    const processed = receipt !== undefined && waitMs > 0 ? await this.intake.waitUntilProcessed(receipt, waitMs) : false;
    return { success: true, received: messages.length, processed, warnings };
  }
}
