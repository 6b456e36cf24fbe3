export * from './profile-fact.js';
export * from './connector.js';
export * from './connector.errors.js';
export * from './connector.logger.js';
export * from './abortable-sleep.js';
export * from './retry-policy.js';
export * from './rate-limiter.js';
export * from './http-client.js';
