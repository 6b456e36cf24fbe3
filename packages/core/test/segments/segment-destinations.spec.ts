import { randomUUID } from 'node:crypto';
import { Global, Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { loadConfig, PORTRAIT_CONFIG } from '../../src/engine/config/portrait-config.js';
import { dataSourceOptions } from '../../src/engine/database/data-source-options.js';
import { IngestModule } from '../../src/modules/ingest/ingest.module.js';
import { IngestService } from '../../src/modules/ingest/ingest.service.js';
import { coreEntities } from '../../src/modules/entities.js';
import { ProfilesModule } from '../../src/modules/profiles/profiles.module.js';
import { SEGMENT_DESTINATION_DISPATCHER, type SegmentDestinationDispatcher, type SegmentDiff } from '../../src/modules/segments/segment-destination-dispatcher.js';
import { SegmentMembershipService } from '../../src/modules/segments/segment-membership.service.js';
import { SegmentsModule } from '../../src/modules/segments/segments.module.js';
import { SegmentsService, type SegmentView } from '../../src/modules/segments/segments.service.js';
import { WorkspacesModule } from '../../src/modules/workspaces/workspaces.module.js';
import { WorkspacesService } from '../../src/modules/workspaces/workspaces.service.js';
import { createTestDatabase, type TestDatabase } from '../../src/testing/index.js';

/** A destination that keeps what it is sent, as a Mailchimp tag would (members added and removed). */
@Injectable()
class TagDestination implements SegmentDestinationDispatcher {
  readonly tagged = new Map<string, Set<string>>();
  readonly calls: { segment: string; destinations: string[]; diff: SegmentDiff }[] = [];

  async dispatch(_workspaceId: string, segment: SegmentView & { destinations: string[] }, diff: SegmentDiff): Promise<void> {
    this.calls.push({ segment: segment.name, destinations: segment.destinations, diff });
    const members = this.tagged.get(segment.id) ?? new Set<string>();
    for (const id of diff.entered) members.add(id);
    for (const id of diff.exited) members.delete(id);
    this.tagged.set(segment.id, members);
  }
}

describe('segment destinations', () => {
  let db: TestDatabase;
  let app: Awaited<ReturnType<typeof NestFactory.createApplicationContext>>;

  beforeAll(async () => {
    db = await createTestDatabase();
    // The configuration the core module would provide: the ingest's suppression list seals its key with it.
    @Global()
    @Module({ providers: [{ provide: PORTRAIT_CONFIG, useValue: loadConfig({ DATABASE_URL: db.url, PORTRAIT_SECRET_KEY: 'd'.repeat(40) }) }], exports: [PORTRAIT_CONFIG] })
    class ConfigModule {}
    @Module({ imports: [ConfigModule, TypeOrmModule.forRoot(dataSourceOptions(db.url, { poolSize: 5, entities: coreEntities })), WorkspacesModule, ProfilesModule, IngestModule, SegmentsModule.withDispatcher(TagDestination)] })
    class TestModule {}
    app = await NestFactory.createApplicationContext(TestModule, { logger: false });
  });
  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  it('hands each recompute diff to the dispatcher of a segment with destinations, and only then', async () => {
    const ws = (await app.get(WorkspacesService).create('dest')).id;
    const segments = app.get(SegmentsService);
    const destination = app.get<TagDestination>(SEGMENT_DESTINATION_DISPATCHER);
    const ingest = app.get(IngestService);
    const vip = await segments.create(ws, { name: 'VIP', definition: { trait: 'vip', op: 'eq', value: true } });
    const other = await segments.create(ws, { name: 'Unconnected', definition: { trait: 'vip', op: 'exists' } });
    const mailchimp = randomUUID();
    await segments.connectDestination(ws, vip.id, mailchimp);

    const observedAt = new Date().toISOString();
    await ingest.ingest(ws, [
      { source: 'shop', externalId: '1', identities: [{ type: 'email', value: 'a@x.com' }], traits: { vip: true }, observedAt },
      { source: 'shop', externalId: '2', identities: [{ type: 'email', value: 'b@x.com' }], traits: { vip: false }, observedAt },
    ]);
    const first = (await segments.members(ws, vip.id)).data.map((m) => m.profileId);
    expect(first).toHaveLength(1);
    expect([...destination.tagged.get(vip.id)!]).toEqual(first);
    expect(destination.calls.map((c) => [c.segment, c.destinations])).toEqual([['VIP', [mailchimp]]]);

    await ingest.ingest(ws, [{ source: 'shop', externalId: '1', identities: [{ type: 'email', value: 'a@x.com' }], traits: { vip: false }, observedAt: new Date().toISOString() }]);
    expect(destination.tagged.get(vip.id)!.size).toBe(0);
    expect(destination.calls.at(-1)!.diff).toEqual({ entered: [], exited: first });
    // A full recompute that changes nothing calls nobody; the unconnected segment never did.
    const calls = destination.calls.length;
    await app.get(SegmentMembershipService).recompute(ws, vip.id);
    expect(destination.calls.length).toBe(calls);
    expect(destination.calls.some((c) => c.segment === other.name)).toBe(false);
  });
});
