/**
 * What the HTTP apps (public API, management API) share: errors answered as problem+json with a
 * stable code (one filter, one code → status map), request validation against zod schemas, and the
 * OpenAPI 3.1 document built from those schemas. Imported as `@portrait/core/http`; only what the
 * apps use is exported (`test/public-surface.spec.ts` pins the list).
 */

// Problems: errors answered as problem+json, and the filter that turns coded exceptions into them.
export { ApiProblem, validationProblem } from './api-problem.js';
export type { FieldError } from './api-problem.js';
export { ProblemExceptionFilter } from './problem-exception.filter.js';

// Validation: request bodies and queries checked against their zod schemas.
export { schemaValidationPipe } from './validation-pipe.js';

// Schemas shared by the apps' routes.
export { isoDateTime, jsonValue, pageCursor, pageLimit } from './schema-primitives.js';

// OpenAPI: the document built from the routes' schemas, and the problem responses they declare.
export { createOpenApiDocument } from './openapi-document.js';
export { problemResponse } from './problem-responses.js';

// Response schemas of profiles, personas and privacy requests, answered alike by both HTTP apps.
export { eventPageSchema, eventSchema, profilePageSchema, profileSchema, profileTraitsResponseSchema, profileTraitsVerboseSchema } from './profile-schemas.js';
export { personaPageSchema, personaSchema } from './persona-schemas.js';
export { erasureReportSchema, profileExportSchema } from './privacy-schemas.js';
