export * from './test-database.js';
export * from './test-core.js';
export * from './test-redis.js';
export * from './free-port.js';
export * from './node-process.js';
