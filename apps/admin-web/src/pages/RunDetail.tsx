import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, Button, Card, Descriptions, Empty, List, Space, Table, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router';
import { api, must } from '../api/client';
import { formatDateTime, formatDuration, formatNumber } from '../lib/format';
import { RunStatus } from '../lib/RunStatus';
import { useRunEvents } from '../lib/useRunEvents';
import { useWorkspace } from './Frame';

/** One sync run: counts per stream, warnings, error, live progress while it runs, and its dead letters with "Retry". */
export default function RunDetail() {
  const { t } = useTranslation();
  const { runId } = useParams();
  const { slug, canChange } = useWorkspace();
  const queryClient = useQueryClient();
  const path = { workspace: slug, runId: runId! };
  const run = useQuery({
    queryKey: ['run', slug, runId],
    queryFn: async () => must(await api.GET('/admin/api/workspaces/{workspace}/runs/{runId}', { params: { path } })),
    refetchInterval: (query) => (query.state.data?.status === 'queued' ? 1000 : false),
  });
  const deadLetters = useQuery({
    queryKey: ['dead-letters', slug, runId],
    queryFn: async () => must(await api.GET('/admin/api/workspaces/{workspace}/runs/{runId}/dead-letters', { params: { path, query: { limit: 100 } } })),
  });
  const live = useRunEvents(slug, runId, run.data?.status === 'running');
  const retry = useMutation({
    mutationFn: async () => must(await api.POST('/admin/api/workspaces/{workspace}/runs/{runId}/dead-letters/retry', { params: { path }, body: {} })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['dead-letters', slug, runId] }),
  });

  if (run.isError) return <Alert type="error" showIcon message={run.error.message} />;
  if (!run.data) return null;
  const r = run.data;
  const stats = live?.stats ?? r.stats;
  const totals = live?.totals ?? r.totals;

  return (
    <Space direction="vertical" size="large" style={{ width: '100%' }}>
      <Space wrap>
        <Link to={`/w/${slug}/sources/${r.sourceId}`}>{t('run.backToSource')}</Link>
      </Space>
      <Typography.Title level={2} style={{ margin: 0 }}>
        {t('run.title')} <RunStatus status={live?.status ?? r.status} />
      </Typography.Title>
      {r.error && <Alert type="error" showIcon message={t('run.error')} description={r.error} />}
      <Card>
        <Descriptions column={{ xs: 1, md: 3 }} size="small">
          <Descriptions.Item label={t('runs.started')}>{formatDateTime(r.startedAt)}</Descriptions.Item>
          <Descriptions.Item label={t('run.finished')}>{formatDateTime(r.finishedAt)}</Descriptions.Item>
          <Descriptions.Item label={t('runs.duration')}>{formatDuration(r.durationMs)}</Descriptions.Item>
          <Descriptions.Item label={t('runs.read')}>{formatNumber(totals.read)}</Descriptions.Item>
          <Descriptions.Item label={t('runs.stored')}>{formatNumber(totals.stored)}</Descriptions.Item>
          <Descriptions.Item label={t('runs.deadLettered')}>{formatNumber(totals.deadLettered)}</Descriptions.Item>
          <Descriptions.Item label={t('run.mode')}>{t(`run.modes.${r.mode}`)}</Descriptions.Item>
          <Descriptions.Item label={t('runs.trigger')}>{t(`runs.triggers.${r.trigger}`)}</Descriptions.Item>
          {(live?.currentStream ?? r.currentStream) && <Descriptions.Item label={t('run.stream')}>{live?.currentStream ?? r.currentStream}</Descriptions.Item>}
        </Descriptions>
      </Card>
      <Table
        rowKey="stream"
        pagination={false}
        scroll={{ x: 640 }}
        dataSource={Object.entries(stats).map(([stream, s]) => ({ stream, ...s }))}
        locale={{ emptyText: <Empty description={t('run.noStreams')} /> }}
        columns={[
          { title: t('run.stream'), dataIndex: 'stream' },
          ...(['read', 'created', 'updated', 'merged', 'events', 'rejected', 'deadLettered'] as const).map((key) => ({ title: t(`run.stats.${key}`), key, align: 'right' as const, render: (_: unknown, row: Record<string, unknown>) => formatNumber(row[key] as number) })),
        ]}
      />
      {r.warnings.length > 0 && (
        <Card title={t('run.warnings')} size="small">
          <List dataSource={r.warnings} renderItem={(w) => <List.Item>{w.count > 1 ? `${w.message} (×${formatNumber(w.count)})` : w.message}</List.Item>} />
        </Card>
      )}
      <Space style={{ width: '100%', justifyContent: 'space-between' }} wrap>
        <Typography.Title level={3} style={{ margin: 0 }}>
          {t('run.deadLetters')}
        </Typography.Title>
        {canChange && (deadLetters.data?.data.length ?? 0) > 0 && (
          <Button onClick={() => retry.mutate()} loading={retry.isPending}>
            {t('run.retry')}
          </Button>
        )}
      </Space>
      {retry.data && <Alert type="info" showIcon message={t('run.retried', { retried: retry.data.retried, stored: retry.data.stored, refused: retry.data.refused.length, notRetryable: retry.data.notRetryable.length })} />}
      {retry.isError && <Alert type="error" showIcon message={retry.error.message} />}
      <Table
        rowKey="id"
        loading={deadLetters.isPending}
        dataSource={deadLetters.data?.data ?? []}
        pagination={false}
        scroll={{ x: 640 }}
        locale={{ emptyText: <Empty description={t('run.noDeadLetters')} /> }}
        columns={[
          { title: t('run.location'), key: 'location', render: (_, d) => d.location ?? '—' },
          { title: t('run.stream'), key: 'stream', render: (_, d) => d.stream ?? '—' },
          { title: t('run.reason'), dataIndex: 'reason' },
          { title: t('run.at'), key: 'at', render: (_, d) => formatDateTime(d.createdAt) },
        ]}
      />
    </Space>
  );
}
