/**
 * What the tracking API validates a batch with, for tools that must validate exactly as it does (the
 * intake benchmark's baseline server): the zod schema of a batch and the message → fact mapping.
 */
export { batchRequest } from './segment-message.schemas.js';
export { segmentMessageToFact } from './segment-to-fact.js';
export { MAX_BATCH_BYTES } from './tracking.service.js';
