import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import type { Schemas } from '../api/client';

/** The progress of a run as its `progress` events carry it. */
export interface RunProgress {
  status: Schemas['SyncRun']['status'];
  currentStream: string | null;
  totals: Schemas['RunTotals'];
  stats: Record<string, Schemas['StreamStats']>;
}

/**
 * Follows a run live through GET …/runs/{runId}/events (server-sent events): its progress while it
 * runs, and once it ends, the run's queries are refreshed.
 */
export function useRunEvents(workspace: string, runId: string | undefined, inFlight: boolean): RunProgress | undefined {
  const [progress, setProgress] = useState<RunProgress>();
  const queryClient = useQueryClient();
  useEffect(() => {
    if (!runId || !inFlight) return;
    const events = new EventSource(`/admin/api/workspaces/${encodeURIComponent(workspace)}/runs/${runId}/events`);
    events.addEventListener('progress', (event) => setProgress(JSON.parse((event as MessageEvent<string>).data) as RunProgress));
    events.addEventListener('end', (event) => {
      const run = JSON.parse((event as MessageEvent<string>).data) as Schemas['SyncRun'];
      setProgress({ status: run.status, currentStream: run.currentStream, totals: run.totals, stats: run.stats });
      events.close();
      void queryClient.invalidateQueries({ queryKey: ['runs', workspace] });
      void queryClient.invalidateQueries({ queryKey: ['run', workspace, runId] });
      void queryClient.invalidateQueries({ queryKey: ['sources', workspace] });
    });
    events.onerror = () => {
      if (events.readyState === EventSource.CLOSED) void queryClient.invalidateQueries({ queryKey: ['runs', workspace] });
    };
    return () => events.close();
  }, [workspace, runId, inFlight, queryClient]);
  return progress;
}
