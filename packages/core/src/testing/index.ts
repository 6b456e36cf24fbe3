/**
 * Test support against real databases, imported as `@portrait/core/testing`: a scratch PostgreSQL
 * database per suite, a migrated core application on it, and a Redis per suite when REDIS_URL is set.
 * Only what the packages' tests use is exported (`test/public-surface.spec.ts` pins the list).
 */

// A scratch, migrated PostgreSQL database.
export { createTestDatabase } from './test-database.js';
export type { TestDatabase } from './test-database.js';

// The core application on a scratch database.
export { createTestCore } from './test-core.js';
export { startedRun } from './started-run.js';
export type { TestCore } from './test-core.js';

// Redis, for the distributed run mode.
export { redisAnswers, testRedis } from './test-redis.js';

// Free ports and Node child processes, for tests that start an app as its own process.
export { freePort } from './free-port.js';
export { startNodeProcess } from './node-process.js';
export type { TestProcess } from './node-process.js';

// A population with planted buyer clusters, and the adjusted Rand index, for persona discovery.
export { adjustedRandIndex, insertPlantedPopulation, plantedPerson, plantedPopulation, PLANTED_CLUSTERS } from './persona-population.js';
export type { PlantedPerson } from './persona-population.js';
