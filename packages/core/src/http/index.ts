/**
 * What the HTTP apps (public API, management API) share: errors answered as problem+json with a
 * stable code (one filter, one code → status map), request validation against zod schemas, and the
 * OpenAPI 3.1 document built from those schemas. Imported as `@portrait/core/http`.
 */
export * from './api-problem.js';
export * from './status-of-code.js';
export * from './problem-exception.filter.js';
export * from './validation-pipe.js';
export * from './problem-responses.js';
export * from './schema-primitives.js';
export * from './openapi-document.js';
export * from './profile-schemas.js';
export * from './persona-schemas.js';
export * from './privacy-schemas.js';
