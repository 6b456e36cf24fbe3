import { Module } from '@nestjs/common';
import { AdminSessionsService } from './admin-sessions.service.js';
import { AdminTokensService } from './admin-tokens.service.js';
import { AdminUsersService } from './admin-users.service.js';

/** Admin users, their roles per workspace, browser sessions and admin tokens (the management API and the CLI use it). */
@Module({ providers: [AdminUsersService, AdminSessionsService, AdminTokensService], exports: [AdminUsersService, AdminSessionsService, AdminTokensService] })
export class AdminUsersModule {}
