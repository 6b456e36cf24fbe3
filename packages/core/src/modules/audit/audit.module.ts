import { Module } from '@nestjs/common';
import { AuditLogService } from './audit-log.service.js';

/** The audit log of the management API and the CLI. */
@Module({ providers: [AuditLogService], exports: [AuditLogService] })
export class AuditModule {}
