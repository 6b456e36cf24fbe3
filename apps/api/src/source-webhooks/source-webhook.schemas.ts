import { z } from 'zod';

export const sourceWebhookReceiptSchema = z
  .object({
    received: z.number().int().describe('Facts the connector read from the webhook'),
    created: z.number().int(),
    updated: z.number().int(),
    merged: z.number().int(),
    eventsInserted: z.number().int(),
    rejected: z.number().int().describe('Facts the ingest refused; they are dead-lettered with their reason'),
  })
  .meta({ id: 'SourceWebhookReceipt', description: 'What an inbound channel webhook changed (when the channel expects no reply of its own)' });
