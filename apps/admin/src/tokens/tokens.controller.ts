import { Body, Controller, Delete, Get, Param, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { AdminTokensService } from '@portrait/core';
import { problemResponse } from '@portrait/core/http';
import { z } from 'zod';
import { Caller, type AdminContext } from '../auth/admin-request.js';
import { Audited } from '../audit/audited.decorator.js';
import { AdminRoute, INVALID_INPUT } from '../openapi/admin-route.decorators.js';
import { uuidParam } from '../openapi/admin-schemas.js';

const adminTokenSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    prefix: z.string().describe('The first characters of the token, to tell tokens apart'),
    createdAt: z.string().meta({ format: 'date-time' }),
    lastUsedAt: z.string().meta({ format: 'date-time' }).nullable(),
    revokedAt: z.string().meta({ format: 'date-time' }).nullable(),
  })
  .meta({ id: 'AdminToken', description: 'An admin token (never its secret)' });
const createdTokenSchema = z
  .object({ adminToken: adminTokenSchema, token: z.string().describe('The token (`pra_…`): shown this once, only its digest is stored') })
  .meta({ id: 'CreatedAdminToken' });
const createTokenSchema = z.object({ name: z.string({ error: 'must be a string' }).trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters') }).meta({ id: 'CreateAdminToken' });

/**
 * Admin tokens for automation (`Authorization: Bearer pra_…`), created by owners. A token acts as its
 * creator, with the creator's role in each workspace; the caller sees and revokes their own tokens.
 */
@ApiTags('admin tokens')
@Controller('admin/api/tokens')
export class TokensController {
  constructor(private readonly tokens: AdminTokensService) {}

  @Post()
  @AdminRoute({ mutating: true, role: 'owner' })
  @Audited('admin_token.create', 'admin_token', (result) => (result as { adminToken: { id: string } }).adminToken.id)
  @ApiOperation({ summary: 'Create an admin token', description: 'Only for owners of a workspace. The token is answered once.' })
  @ApiCreatedResponse({ standardSchema: createdTokenSchema, description: 'The token, shown once' })
  @ApiResponse(INVALID_INPUT)
  createAdminToken(@Caller() caller: AdminContext, @Body({ schema: createTokenSchema }) body: z.output<typeof createTokenSchema>) {
    return this.tokens.create(caller.principal.userId, body.name);
  }

  @Get()
  @AdminRoute()
  @ApiOperation({ summary: 'List my admin tokens' })
  @ApiOkResponse({ standardSchema: z.object({ data: z.array(adminTokenSchema) }).meta({ id: 'AdminTokenList' }), description: 'The caller\'s tokens' })
  async listAdminTokens(@Caller() caller: AdminContext) {
    return { data: await this.tokens.list(caller.principal.userId) };
  }

  @Delete(':id')
  @AdminRoute({ mutating: true })
  @Audited('admin_token.revoke', 'admin_token', 'id')
  @ApiParam(uuidParam('id'))
  @ApiOperation({ summary: 'Revoke an admin token', description: 'At once; idempotent.' })
  @ApiOkResponse({ standardSchema: adminTokenSchema, description: 'The revoked token' })
  @ApiResponse(problemResponse(404, 'No such token among the caller\'s'))
  revokeAdminToken(@Caller() caller: AdminContext, @Param('id') id: string) {
    return this.tokens.revoke(caller.principal.userId, id);
  }
}
