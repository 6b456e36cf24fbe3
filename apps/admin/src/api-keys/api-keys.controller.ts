import { Body, Controller, Delete, Get, Param, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { API_KEY_SCOPES, ApiKeysService, createApiKeySchema } from '@portrait/core';
import { isoDateTime } from '@portrait/core/http';
import { z } from 'zod';
import { CurrentWorkspace, type AdminWorkspace } from '../auth/admin-request.js';
import { Audited } from '../audit/audited.decorator.js';
import { AdminRoute, INVALID_INPUT } from '../openapi/admin-route.decorators.js';
import { uuidParam } from '../openapi/admin-schemas.js';

const apiKeySchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    prefix: z.string().describe('The first characters of the key, to tell keys apart'),
    scopes: z.array(z.enum(API_KEY_SCOPES)),
    rateLimitPerMinute: z.number().int(),
    createdAt: isoDateTime,
    lastUsedAt: isoDateTime.nullable().describe('When the public API last accepted the key (written at most once a minute)'),
    revokedAt: isoDateTime.nullable(),
  })
  .meta({ id: 'ApiKey', description: 'A key of the public API (never its secret)' });
const createdApiKeySchema = z.object({ apiKey: apiKeySchema, key: z.string().describe('The key: shown this once, only its digest is stored') }).meta({ id: 'CreatedApiKey' });
const createApiKeyBody = createApiKeySchema.meta({ id: 'CreateApiKey' });

/** The workspace's keys of the public API (`apps/api`): create with scopes (the key is answered once), list with last use, revoke. */
@ApiTags('api keys')
@Controller('admin/api/workspaces/:workspace/api-keys')
export class ApiKeysController {
  constructor(private readonly keys: ApiKeysService) {}

  @Post()
  @AdminRoute({ workspace: true, mutating: true })
  @Audited('api_key.create', 'api_key', (result) => (result as { apiKey: { id: string } }).apiKey.id)
  @ApiOperation({ summary: 'Create an API key', description: 'With scopes and a rate limit. The key is answered this once; only its digest is stored.' })
  @ApiCreatedResponse({ standardSchema: createdApiKeySchema, description: 'The key, shown once' })
  @ApiResponse(INVALID_INPUT)
  async createApiKey(@CurrentWorkspace() workspace: AdminWorkspace, @Body({ schema: createApiKeyBody }) body: z.output<typeof createApiKeyBody>) {
    const { apiKey, key } = await this.keys.create(workspace.id, body);
    return { apiKey: view(apiKey), key };
  }

  @Get()
  @AdminRoute({ workspace: true })
  @ApiOperation({ summary: 'List API keys', description: 'Oldest first, revoked ones too, each with when it was last used.' })
  @ApiOkResponse({ standardSchema: z.object({ data: z.array(apiKeySchema) }).meta({ id: 'ApiKeyList' }), description: 'The workspace\'s keys' })
  async listApiKeys(@CurrentWorkspace() workspace: AdminWorkspace) {
    return { data: (await this.keys.list(workspace.id)).map(view) };
  }

  @Delete(':id')
  @AdminRoute({ workspace: true, mutating: true })
  @Audited('api_key.revoke', 'api_key', 'id')
  @ApiParam(uuidParam('id'))
  @ApiOperation({ summary: 'Revoke an API key', description: 'At once in this process, within seconds in the others; idempotent.' })
  @ApiOkResponse({ standardSchema: apiKeySchema, description: 'The revoked key' })
  async revokeApiKey(@CurrentWorkspace() workspace: AdminWorkspace, @Param('id') id: string) {
    return view(await this.keys.revoke(id, workspace.id));
  }
}

/** The key as the management API shows it: the workspace is the route's. */
function view({ workspaceId: _workspace, ...key }: Awaited<ReturnType<ApiKeysService['list']>>[number]) {
  return key;
}
