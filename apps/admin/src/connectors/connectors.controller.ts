import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { configJsonSchema, type Connector } from '@portrait/connector-sdk';
import { PluginRegistry } from '@portrait/core';
import { z } from 'zod';
import { AdminRoute } from '../openapi/admin-route.decorators.js';

const connectorSchema = z
  .object({
    id: z.string().describe('What a source names as its `connectorId`'),
    name: z.string(),
    version: z.string(),
    description: z.string(),
    icon: z.string().nullable().describe('An inline SVG or a data: URL, when the connector has one'),
    kind: z.enum(['source', 'destination', 'both']),
    defaultSchedule: z.string().describe('The cron expression a new source gets when it names none'),
    capabilities: z.object({
      streams: z
        .array(z.object({ name: z.string(), description: z.string().nullable(), syncModes: z.array(z.enum(['full', 'incremental'])) }))
        .describe('What a sync reads, in order'),
      webhooks: z.boolean().describe('It receives its channel\'s webhooks (`POST /v1/webhooks/sources/{sourceId}` of the public API)'),
      destination: z.boolean().describe('It receives segment membership'),
    }),
    secretFields: z.array(z.string()).describe('Configuration fields sealed at rest and never answered'),
    configSchema: z
      .record(z.string(), z.unknown())
      .describe('The JSON Schema (2020-12) of the configuration, for a source form; secret fields are `"writeOnly": true, "format": "password"`'),
  })
  .meta({ id: 'Connector', description: 'An installed connector' });

function catalogueEntry(connector: Connector): z.output<typeof connectorSchema> {
  const { manifest } = connector;
  return {
    id: manifest.id,
    name: manifest.name,
    version: manifest.version,
    description: manifest.description,
    icon: manifest.icon ?? null,
    kind: manifest.kind,
    defaultSchedule: manifest.defaultSchedule,
    capabilities: {
      streams: manifest.streams.map((s) => ({ name: s.name, description: s.description ?? null, syncModes: s.syncModes })),
      webhooks: manifest.capabilities.webhooks === true,
      destination: manifest.capabilities.destination === true,
    },
    secretFields: manifest.secretFields,
    configSchema: configJsonSchema(manifest),
  };
}

/** The connectors installed in this Portrait (built in, and from PORTRAIT_PLUGINS): the same for every workspace. */
@ApiTags('sources')
@Controller('admin/api/connectors')
export class ConnectorsController {
  constructor(private readonly registry: PluginRegistry) {}

  @Get()
  @AdminRoute()
  @ApiOperation({ summary: 'List installed connectors', description: 'What a source can be made of: each connector with its capabilities and the JSON Schema of its configuration.' })
  @ApiOkResponse({ standardSchema: z.object({ data: z.array(connectorSchema) }).meta({ id: 'ConnectorList' }), description: 'The installed connectors, by id' })
  listConnectors() {
    return { data: this.registry.list().map(catalogueEntry).sort((a, b) => a.id.localeCompare(b.id)) };
  }
}
