export * from './mailchimp-sandbox.js';
export { AudienceData, DEFAULT_AUDIENCES, mailchimpTimeOf, md5, type SandboxAudience, type SandboxCampaign, type SandboxMember } from './audience-data.js';
export { problem, project } from './api-replies.js';
export { memberView, readRoutes, type ReadRouteContext } from './read-routes.js';
export * from './verify-truth.js';
export { tagHolders, writeRoutes, type WriteRouteContext } from './write-routes.js';
