/**
 * The public surface of `@portrait/core`: what the apps, the CLI, the benchmarks and plugins' tests
 * use, named one by one. Everything else (the segment compiler, the sync runner, the ingest steps, SQL
 * helpers, entities) is internal and reached through these services. A new export is a deliberate
 * change: `test/public-surface.spec.ts` pins the list. `@portrait/core/http` and
 * `@portrait/core/testing` are the two other entry points.
 */

// Core module: the Nest module every app imports.
export { PortraitCoreModule } from './portrait-core.module.js';
export type { PortraitCoreOptions } from './portrait-core.module.js';

// Configuration: validated once at start-up, injected as PORTRAIT_CONFIG.
export { loadConfig, PORTRAIT_CONFIG } from './engine/config/portrait-config.js';
export type { PortraitConfig } from './engine/config/portrait-config.js';
export { embeddedSecretKey } from './engine/config/embedded-secret-key.js';

// Clock: the time computed traits go by (the machine's, or a test's).
export { Clock, ManualClock, SystemClock } from './engine/clock/clock.js';

// Runtime: start-up and shutdown of an app process.
export { closeOnSignals, isMainModule, loadConfigOrExit, prepareRuntime } from './engine/runtime/runtime.js';
export type { Runtime } from './engine/runtime/runtime.js';

// Database: the target (embedded or DATABASE_URL) and its migrations.
export { pendingMigrations, resolveDatabase, runMigrations } from './engine/database/database-connection.js';

// Logging.
export { createLogger } from './engine/logger/logger.js';
export { serializeError } from './engine/logger/log-serializers.js';
export { PortraitLogger } from './engine/logger/portrait-logger.service.js';

// Errors: the base class of every module's coded exception.
export { PortraitException } from './engine/errors/portrait.exception.js';

// Workspaces.
export { WorkspacesService } from './modules/workspaces/workspaces.service.js';

// Ingest: the single entry point of every source's data.
export { IngestService } from './modules/ingest/ingest.service.js';
export type { IngestResult } from './modules/ingest/ingest-result.js';

// Profiles: reads, listing, merges and their undo, trait recompute.
export { isUuid, ProfilesService } from './modules/profiles/profiles.service.js';
export type { ConsentView, EventView, Page, ProfileView } from './modules/profiles/profiles.service.js';
export { ProfileListingService } from './modules/profiles/profile-listing.service.js';
export { MergesService } from './modules/profiles/merges.service.js';
export type { MergeView } from './modules/profiles/merges.service.js';
export { ProfileRecomputeService } from './modules/profiles/profile-recompute.service.js';
export { Profile360Service } from './modules/profile-360/profile-360.service.js';
export { ProfileException } from './modules/profiles/profile.exception.js';

// Profile settings: identity rules, trait precedence, computed traits, and the jobs that backfill a change.
export {
  computedTraitListSchema,
  PROFILE_SETTINGS_PARTS,
  ProfileSettingsService,
  retentionSettingsSchema,
  traitPrecedenceSchema,
  traitSourcesSchema,
} from './modules/profiles/profile-settings.service.js';
export type { ProfileSettingsPart, ProfileSettingsParts, StoredProfileSettings } from './modules/profiles/profile-settings.service.js';
export { RecomputeJobsService } from './modules/profiles/recompute-jobs.service.js';
export type { RecomputeJobView } from './modules/profiles/recompute-jobs.service.js';
export {
  blockedValuesSchema,
  defaultRegionSchema,
  identitySettingsOverrideSchema,
  identityTypeName,
  identityTypeSettingSchema,
  matchKeysSchema,
  nameGuardSchema,
} from './modules/identity/identity-settings.js';
export type { IdentitySettings } from './modules/identity/identity-settings.js';
export { computedTraitDefinitionSchema } from './modules/traits/computed-trait.definition.js';

// API keys: scoped keys of partner apps.
export { API_KEY_RECHECK_MS, ApiKeysService, createApiKeySchema } from './modules/api-keys/api-keys.service.js';
export { API_KEY_SCOPES } from './modules/api-keys/api-key-scopes.js';
export type { ApiKeyPrincipal, ApiKeyView } from './modules/api-keys/api-keys.service.js';
export type { ApiKeyScope } from './modules/api-keys/api-key-scopes.js';

// Intake: the durable log of the tracking API and the processor that drains it into profiles.
export { IntakeLogService } from './modules/intake/intake-log.service.js';
export type { IntakeDeadLetterView } from './modules/intake/intake-log.service.js';
export type { IntakeReceipt } from './modules/intake/intake-log.service.js';
export { INTAKE_CHUNK, IntakeProcessor } from './modules/intake/intake-processor.service.js';
export { INTAKE_STUCK_SECONDS, IntakeHealth } from './modules/intake/intake-health.js';
export type { IntakeState } from './modules/intake/intake-health.js';

// Privacy: export and erasure of a person's data.
export { PrivacyService } from './modules/privacy/privacy.service.js';
export type { ErasureReport, ProfileExport } from './modules/privacy/privacy.service.js';
export { PrivacyRequestsService } from './modules/privacy/privacy-requests.service.js';

// Webhooks: outgoing subscriptions, their delivery and signature.
export { createWebhookSubscriptionSchema, WebhooksService } from './modules/webhooks/webhooks.service.js';
export { WebhookOutboxService } from './modules/webhooks/webhook-outbox.service.js';
export type { WebhookDeliveryView, WebhookSubscriptionView } from './modules/webhooks/webhooks.service.js';
export { WebhookDeliveryService } from './modules/webhooks/webhook-delivery.service.js';
export { WebhookDispatcher } from './modules/webhooks/webhook-dispatcher.js';
export { WEBHOOK_EVENT_TYPES } from './modules/webhooks/webhook-events.js';
export { verifyWebhookSignature, WEBHOOK_SIGNATURE_HEADER } from './modules/webhooks/webhook-signature.js';

// Segments: definitions, membership, the editor's catalog.
export { SegmentsService } from './modules/segments/segments.service.js';
export type { SegmentMember, SegmentRun, SegmentSizePoint, SegmentView } from './modules/segments/segments.service.js';
export { SegmentMembershipService } from './modules/segments/segment-membership.service.js';
export { SegmentEditorService } from './modules/segments/segment-editor.service.js';
export type { SegmentConditionPreview } from './modules/segments/segment-editor.service.js';
export type { SegmentCondition } from './modules/segments/segment-definition.js';
export { SegmentException } from './modules/segments/segment.exception.js';

// Personas and typology.
export { PersonasService } from './modules/personas/personas.service.js';
export type { PersonaMember, PersonaView } from './modules/personas/personas.service.js';
export { PersonaAssignmentService } from './modules/personas/persona-assignment.service.js';
export { personaCardSchema, personaEnvelopeSchema, TYPOLOGIES } from './modules/personas/persona-definition.js';
export { PersonaException } from './modules/personas/persona.exception.js';
export { TypologyService } from './modules/typology/typology.service.js';
export type { TypologySettingsView } from './modules/typology/typology.service.js';
export { TypologyClassificationService, TYPOLOGY_VALUES } from './modules/typology/typology-classification.service.js';
export type { TypologyDistribution, TypologyRun } from './modules/typology/typology-classification.service.js';
export { TYPOLOGY_DEFAULTS, typologySettingsInputSchema } from './modules/typology/typology-settings.js';
export type { TypologySettings, TypologySettingsInput } from './modules/typology/typology-settings.js';
export { TypologyException } from './modules/typology/typology.exception.js';
export { PersonaDiscoveryService } from './modules/personas/discovery/persona-discovery.service.js';
export type { DiscoveryView, DiscoveryDraftView, DiscoverySummary, DiscoveryResult } from './modules/personas/discovery/persona-discovery.service.js';
export { discoveryParamsInputSchema } from './modules/personas/discovery/discovery-params.js';

// Ideal customer profiles: fit scores of accounts and the qualification of their people.
export { IcpsService } from './modules/icp/icps.service.js';
export type { IcpAccountScore, IcpDistribution, IcpScoreView, IcpView } from './modules/icp/icps.service.js';
export { IcpScoringService } from './modules/icp/icp-scoring.service.js';
export { FIRMOGRAPHIC_TRAITS, icpEnvelopeSchema, icpInputSchema } from './modules/icp/icp-definition.js';
export type { IcpCriterion, IcpInput } from './modules/icp/icp-definition.js';
export { IcpException } from './modules/icp/icp.exception.js';

// Sync: sources, syncs and their runs, the scheduler (embedded or BullMQ).
export { SourcesService } from './modules/sync/sources.service.js';
export type { SourceView } from './modules/sync/sources.service.js';
export { SyncService } from './modules/sync/sync.service.js';
export type { SyncOutcome, WebhookOutcome } from './modules/sync/sync.service.js';
export type { SyncProgress } from './modules/sync/sync-runner.js';
export { SyncRunsService } from './modules/sync/sync-runs.service.js';
export type { DeadLetterSummary, DeadLetterView } from './modules/sync/sync-runs.service.js';
export { DeadLetterRetryService, MAX_RETRY_IDS } from './modules/sync/dead-letter-retry.service.js';
export { SuppressionService } from './modules/suppression/suppression.service.js';
export type { SuppressionCounts } from './modules/suppression/suppression.service.js';
export { SuppressionException } from './modules/suppression/suppression.exception.js';
export { RetentionService, monthsBefore } from './modules/retention/retention.service.js';
export type { RetentionReport } from './modules/retention/retention.service.js';
export type { DeadLetterRetryOutcome } from './modules/sync/dead-letter-retry.service.js';
export { runEnded } from './modules/sync/sync-run.js';
export type { StreamStats, SyncRunStatus, SyncRunView } from './modules/sync/sync-run.js';
export { PluginRegistry } from './modules/sync/plugin-registry.js';
export { SegmentDestinationsService } from './modules/sync/segment-destinations.service.js';
export type { SegmentDestination } from './modules/sync/segment-destinations.service.js';
export { SegmentDestinationPusher } from './modules/sync/segment-destination-pusher.service.js';
export { SyncScheduler } from './modules/sync/scheduler/sync-scheduler.js';
export { BullmqSyncScheduler } from './modules/sync/scheduler/bullmq-sync-scheduler.js';
export { InvalidSourceConfigException } from './modules/sync/sync.exception.js';

// Admin users: accounts, roles, browser sessions, admin tokens.
export { AdminUsersService } from './modules/admin-users/admin-users.service.js';
export type { AddedMember, AdminMembershipView, WorkspaceMemberView } from './modules/admin-users/admin-users.service.js';
export {
  ADMIN_LOCK_AFTER_FAILURES,
  ADMIN_SESSION_MAX_MS,
  ADMIN_SIGN_IN_ATTEMPTS_PER_WINDOW,
  AdminSessionsService,
} from './modules/admin-users/admin-sessions.service.js';
export type { AdminPrincipal } from './modules/admin-users/admin-sessions.service.js';
export { AdminTokensService } from './modules/admin-users/admin-tokens.service.js';
export type { AdminTokenView } from './modules/admin-users/admin-tokens.service.js';
export { ADMIN_ROLES, roleAtLeast } from './modules/admin-users/admin-roles.js';
export type { AdminRole } from './modules/admin-users/admin-roles.js';

// Audit log.
export { AuditLogService } from './modules/audit/audit-log.service.js';
export type { AuditActor, AuditEntryInput, AuditEntryView } from './modules/audit/audit-log.service.js';
