import { Controller, Get } from '@nestjs/common';
import { WorkspacesService } from '@portrait/core';

@Controller('api')
export class AdminController {
  constructor(private readonly workspaces: WorkspacesService) {}

  @Get('workspaces')
  async listWorkspaces() {
    const workspaces = await this.workspaces.list();
    return { data: workspaces.map(({ id, slug, name, createdAt }) => ({ id, slug, name, createdAt })) };
  }
}
