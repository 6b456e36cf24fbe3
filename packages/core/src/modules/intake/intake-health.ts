import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';

/** Oldest pending message older than this, with no batch committed for as long: the processor is stuck. */
export const INTAKE_STUCK_SECONDS = 60;

/** Whether the intake processor keeps up, for /readyz. */
export interface IntakeState {
  stuck: boolean;
  messages: number;
  lagSeconds: number;
  /** Seconds since a processor last committed a batch (null: never). */
  idleSeconds: number | null;
}

/**
 * Reads the intake log's state across processes from the database: a processor is stuck when the
 * oldest pending message is older than `INTAKE_STUCK_SECONDS` and no batch was committed for that long
 * (a processor working through a long backlog is not stuck).
 */
@Injectable()
export class IntakeHealth {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async state(thresholdSeconds = INTAKE_STUCK_SECONDS): Promise<IntakeState> {
    const [row]: { messages: string; lag: number | null; idle: number | null }[] = await this.dataSource.query(
      `SELECT (SELECT count(*) FROM intake_log)::text AS messages,
              (SELECT extract(epoch FROM now() - min(received_at)) FROM intake_log)::float8 AS lag,
              (SELECT extract(epoch FROM now() - max(updated_at)) FROM intake_progress WHERE committed > 0)::float8 AS idle`,
    );
    const lagSeconds = Math.max(0, row!.lag ?? 0);
    const idleSeconds = row!.idle === null ? null : Math.max(0, row!.idle);
    const stuck = lagSeconds > thresholdSeconds && (idleSeconds === null || idleSeconds > thresholdSeconds);
    return { stuck, messages: Number(row!.messages), lagSeconds, idleSeconds };
  }
}
