import { InitialSchema1764000000000 } from './1764000000000-initial-schema.js';
import { EventsWithoutRowTriggers1764000000500 } from './1764000000500-events-without-row-triggers.js';
import { ProfileCreationOrder1764000000600 } from './1764000000600-profile-creation-order.js';
import { WorkspaceKeysThroughProfiles1764000000700 } from './1764000000700-workspace-keys-through-profiles.js';
import { ApiKeys1764000003000 } from './1764000003000-api-keys.js';
import { Segments1764000004000 } from './1764000004000-segments.js';
import { Sync1764000005000 } from './1764000005000-sync.js';
import { Webhooks1764000006000 } from './1764000006000-webhooks.js';
import { Personas1764000007000 } from './1764000007000-personas.js';
import { SegmentDestinationPushes1764000008000 } from './1764000008000-segment-destination-pushes.js';
import { IngestTablesWithoutRowTriggers1764000009000 } from './1764000009000-ingest-tables-without-row-triggers.js';
import { PerProfileCoveringIndexes1764000010000 } from './1764000010000-per-profile-covering-indexes.js';
import { ProfileRecomputeQueue1764000011000 } from './1764000011000-profile-recompute-queue.js';
import { NaturalPrimaryKeys1764000012000 } from './1764000012000-natural-primary-keys.js';
import { IdentifierColumnsByteOrder1764000013000 } from './1764000013000-identifier-columns-byte-order.js';
import { PrivacyRequests1764000014000 } from './1764000014000-privacy-requests.js';
import { AdminUsers1764000020000 } from './1764000020000-admin-users.js';
import { SyncRunProgress1764000023000 } from './1764000023000-sync-run-progress.js';
import { RecomputeJobs1764000025000 } from './1764000025000-recompute-jobs.js';
import { IntakeLog1764000026000 } from './1764000026000-intake-log.js';
import { WebhookSecretKeyId1764000030000 } from './1764000030000-webhook-secret-key-id.js';
import { Suppressions1764000031000 } from './1764000031000-suppressions.js';
import { Typology1764000040000 } from './1764000040000-typology.js';

/** Every migration, in order. Schema changes happen only here; `synchronize` is never on. */
export const migrations = [InitialSchema1764000000000, EventsWithoutRowTriggers1764000000500, ProfileCreationOrder1764000000600, WorkspaceKeysThroughProfiles1764000000700, ApiKeys1764000003000, Segments1764000004000, Sync1764000005000, Webhooks1764000006000, Personas1764000007000, SegmentDestinationPushes1764000008000, IngestTablesWithoutRowTriggers1764000009000, PerProfileCoveringIndexes1764000010000, ProfileRecomputeQueue1764000011000, NaturalPrimaryKeys1764000012000, IdentifierColumnsByteOrder1764000013000, PrivacyRequests1764000014000, AdminUsers1764000020000, SyncRunProgress1764000023000, RecomputeJobs1764000025000, IntakeLog1764000026000, WebhookSecretKeyId1764000030000, Suppressions1764000031000, Typology1764000040000];
