export * from './test-database.js';
export * from './test-core.js';
