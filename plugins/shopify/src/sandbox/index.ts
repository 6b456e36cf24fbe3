export * from './shopify-sandbox.js';
export * from './shop-data.js';
export * from './query-cost.js';
export { registerSandboxShop, installSandboxTransport, SANDBOX_HOST_HEADER } from './sandbox-transport.js';
export { ADMIN_SDL, buildAdminSchema } from './admin-schema.js';
export * from './shop-truth.js';
export * from './verify-truth.js';
