import * as handleKeys from '../src/engine/database/handle-keys.js';
import * as sql from '../src/engine/database/sql.js';
import * as dataSourceOptions from '../src/engine/database/data-source-options.js';
import * as embeddedPostgres from '../src/engine/database/embedded-postgres.js';
import * as secretBox from '../src/engine/crypto/secret-box.js';
import * as statusOfCode from '../src/http/status-of-code.js';
import * as http from '../src/http/index.js';
import * as core from '../src/index.js';
import * as ingestPipeline from '../src/modules/ingest/ingest-pipeline.js';
import * as prepareStep from '../src/modules/ingest/steps/prepare.step.js';
import * as resolveStep from '../src/modules/ingest/steps/resolve.step.js';
import * as entities from '../src/modules/entities.js';
import * as identityNormalizer from '../src/modules/identity/identity-normalizer.js';
import * as segmentCatalog from '../src/modules/segments/segment-catalog.service.js';
import * as segmentCompiler from '../src/modules/segments/segment-compiler.js';
import * as segmentLeaves from '../src/modules/segments/segment-leaves/segment-leaves.js';
import * as segmentValidator from '../src/modules/segments/segment-validator.js';
import * as syncRun from '../src/modules/sync/sync-run.js';
import * as syncRunner from '../src/modules/sync/sync-runner.js';
import * as sourceRepository from '../src/modules/sync/source-repository.js';
import * as traitMerge from '../src/modules/traits/trait-merge.sql.js';
import * as testing from '../src/testing/index.js';

/** The names an entry point exports at run time (types leave no trace there), sorted. */
const namesOf = (entry: object): string[] => Object.keys(entry).sort();

/**
 * What the apps, the CLI, the benchmarks and plugins' tests import. A name added here is a deliberate
 * widening of the package's surface; a name that no longer has a user should leave it.
 */
describe('the public surface of @portrait/core', () => {
  it('exports these names from @portrait/core, and no other', () => {
    expect(namesOf(core)).toEqual([
      'ADMIN_LOCK_AFTER_FAILURES',
      'ADMIN_ROLES',
      'ADMIN_SESSION_MAX_MS',
      'ADMIN_SIGN_IN_ATTEMPTS_PER_WINDOW',
      'API_KEY_RECHECK_MS',
      'API_KEY_SCOPES',
      'AdminSessionsService',
      'AdminTokensService',
      'AdminUsersService',
      'ApiKeysService',
      'AuditLogService',
      'BullmqSyncScheduler',
      'Clock',
      'DeadLetterRetryService',
      'FIRMOGRAPHIC_TRAITS',
      'INTAKE_CHUNK',
      'INTAKE_STUCK_SECONDS',
      'IcpException',
      'IcpScoringService',
      'IcpsService',
      'IngestService',
      'IntakeHealth',
      'IntakeLogService',
      'IntakeProcessor',
      'InvalidSourceConfigException',
      'MAX_RETRY_IDS',
      'ManualClock',
      'MergesService',
      'PORTRAIT_CONFIG',
      'PROFILE_SETTINGS_PARTS',
      'PersonaAssignmentService',
      'PersonaDiscoveryService',
      'PersonaException',
      'PersonasService',
      'PluginRegistry',
      'PortraitCoreModule',
      'PortraitException',
      'PortraitLogger',
      'PrivacyRequestsService',
      'PrivacyService',
      'Profile360Service',
      'ProfileException',
      'ProfileListingService',
      'ProfileRecomputeService',
      'ProfileSettingsService',
      'ProfilesService',
      'RecomputeJobsService',
      'RetentionService',
      'SegmentDestinationPusher',
      'SegmentDestinationsService',
      'SegmentEditorService',
      'SegmentException',
      'SegmentMembershipService',
      'SegmentsService',
      'SourcesService',
      'SuppressionException',
      'SuppressionService',
      'SyncRunsService',
      'SyncScheduler',
      'SyncService',
      'SystemClock',
      'TYPOLOGIES',
      'TYPOLOGY_DEFAULTS',
      'TYPOLOGY_VALUES',
      'TypologyClassificationService',
      'TypologyException',
      'TypologyService',
      'WEBHOOK_EVENT_TYPES',
      'WEBHOOK_SIGNATURE_HEADER',
      'WebhookDeliveryService',
      'WebhookDispatcher',
      'WebhookOutboxService',
      'WebhooksService',
      'WorkspacesService',
      'blockedValuesSchema',
      'closeOnSignals',
      'computedTraitDefinitionSchema',
      'computedTraitListSchema',
      'createApiKeySchema',
      'createLogger',
      'createWebhookSubscriptionSchema',
      'defaultRegionSchema',
      'discoveryParamsInputSchema',
      'embeddedSecretKey',
      'icpEnvelopeSchema',
      'icpInputSchema',
      'identitySettingsOverrideSchema',
      'identityTypeName',
      'identityTypeSettingSchema',
      'isMainModule',
      'isUuid',
      'loadConfig',
      'loadConfigOrExit',
      'matchKeysSchema',
      'monthsBefore',
      'nameGuardSchema',
      'pendingMigrations',
      'personaCardSchema',
      'personaEnvelopeSchema',
      'prepareRuntime',
      'resolveDatabase',
      'retentionSettingsSchema',
      'roleAtLeast',
      'runEnded',
      'runMigrations',
      'serializeError',
      'traitPrecedenceSchema',
      'traitSourcesSchema',
      'typologySettingsInputSchema',
      'verifyWebhookSignature',
    ]);
  });

  it('exports these names from @portrait/core/http, and no other', () => {
    expect(namesOf(http)).toEqual([
      'ApiProblem',
      'ProblemExceptionFilter',
      'createOpenApiDocument',
      'erasureReportSchema',
      'eventPageSchema',
      'eventSchema',
      'isoDateTime',
      'jsonValue',
      'pageCursor',
      'pageLimit',
      'personaPageSchema',
      'personaSchema',
      'problemResponse',
      'profileExportSchema',
      'profilePageSchema',
      'profileSchema',
      'profileTraitsResponseSchema',
      'profileTraitsVerboseSchema',
      'schemaValidationPipe',
      'validationProblem',
    ]);
  });

  it('exports these names from @portrait/core/testing, and no other', () => {
    expect(namesOf(testing)).toEqual(['PLANTED_CLUSTERS', 'adjustedRandIndex', 'createTestCore', 'createTestDatabase', 'freePort', 'insertPlantedPopulation', 'plantedPerson', 'plantedPopulation', 'redisAnswers', 'startNodeProcess', 'startedRun', 'testRedis']);
  });

  const INTERNALS: [string, object][] = [
    ['the segment compiler', segmentCompiler],
    ['the segment leaves', segmentLeaves],
    ['the segment validator', segmentValidator],
    ['the catalog of observed trait types', segmentCatalog],
    ['the sync runner', syncRunner],
    // runEnded (whether a status is final) is public; the rows and their mapping are not.
    ['the sync run rows', Object.fromEntries(Object.entries(syncRun).filter(([name]) => name !== 'runEnded'))],
    ['the source repository', sourceRepository],
    ['the ingest pipeline', ingestPipeline],
    ['the ingest prepare step', prepareStep],
    ['the ingest resolve step', resolveStep],
    ['the identity normalizer', identityNormalizer],
    ['the trait merge SQL', traitMerge],
    ['the SQL helpers', sql],
    ['the handle keys', handleKeys],
    ['the data source options', dataSourceOptions],
    ['the entities', entities],
    ['the embedded PostgreSQL', embeddedPostgres],
    ['the secret box', secretBox],
    ['the code to status map', statusOfCode],
  ];

  it.each(INTERNALS)('keeps %s out of every entry point', (_what, internal) => {
    const exported = new Set([...namesOf(core), ...namesOf(http), ...namesOf(testing)]);
    const names = namesOf(internal);
    expect(names.length).toBeGreaterThan(0);
    expect(names.filter((name) => exported.has(name))).toEqual([]);
  });
});
