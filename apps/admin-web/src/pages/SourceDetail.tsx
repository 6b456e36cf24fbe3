import { DeleteOutlined, SyncOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, App, Button, Card, Descriptions, Empty, Input, Popconfirm, Progress, Space, Switch, Table, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useParams } from 'react-router';
import { api, must, type Schemas } from '../api/client';
import { ConnectorIcon } from '../lib/ConnectorIcon';
import { describeCron } from '../lib/cron';
import { formatDateTime, formatDuration, formatNumber } from '../lib/format';
import { useConnectors } from '../lib/queries';
import { RunStatus } from '../lib/RunStatus';
import { useRunEvents } from '../lib/useRunEvents';
import { useWorkspace } from './Frame';

type Run = Schemas['SyncRun'];

/** One source: test connection, enable/disable, schedule, sync now, delete, and its runs with the one in flight live. */
export default function SourceDetail() {
  const { t } = useTranslation();
  const { sourceId } = useParams();
  const { slug, canChange } = useWorkspace();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const { message } = App.useApp();
  const path = { workspace: slug, id: sourceId! };
  const source = useQuery({ queryKey: ['source', slug, sourceId], queryFn: async () => must(await api.GET('/admin/api/workspaces/{workspace}/sources/{id}', { params: { path } })) });
  const runs = useQuery({
    queryKey: ['runs', slug, sourceId],
    queryFn: async () => must(await api.GET('/admin/api/workspaces/{workspace}/sources/{id}/runs', { params: { path, query: { limit: 20 } } })).data,
    refetchInterval: (query) => (query.state.data?.some((r) => r.status === 'queued') ? 1000 : false),
  });
  const connector = useConnectors().data?.find((c) => c.id === source.data?.connectorId);
  const [check, setCheck] = useState<Schemas['SourceCheck']>();
  const [schedule, setSchedule] = useState<string>();
  const refresh = () => Promise.all([queryClient.invalidateQueries({ queryKey: ['source', slug, sourceId] }), queryClient.invalidateQueries({ queryKey: ['sources', slug] })]);

  const testConnection = useMutation({
    mutationFn: async () => must(await api.POST('/admin/api/workspaces/{workspace}/sources/{id}/check', { params: { path } })),
    onMutate: () => setCheck(undefined),
    onSuccess: setCheck,
  });
  const toggle = useMutation({
    mutationFn: async (enable: boolean) => must(await (enable ? api.POST('/admin/api/workspaces/{workspace}/sources/{id}/enable', { params: { path } }) : api.POST('/admin/api/workspaces/{workspace}/sources/{id}/disable', { params: { path } }))),
    onSuccess: refresh,
  });
  const saveSchedule = useMutation({
    mutationFn: async (value: string) => must(await api.PUT('/admin/api/workspaces/{workspace}/sources/{id}/schedule', { params: { path }, body: { schedule: value } })),
    onSuccess: async () => {
      setSchedule(undefined);
      await refresh();
      void message.success(t('source.scheduleSaved'));
    },
  });
  const syncNow = useMutation({
    mutationFn: async () => must(await api.POST('/admin/api/workspaces/{workspace}/sources/{id}/sync', { params: { path }, body: {} })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['runs', slug, sourceId] }),
  });
  const remove = useMutation({
    mutationFn: async () => must(await api.DELETE('/admin/api/workspaces/{workspace}/sources/{id}', { params: { path } })),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: ['sources', slug] });
      await navigate(`/w/${slug}/sources`);
    },
  });
  const failure = [testConnection, toggle, saveSchedule, syncNow, remove].find((m) => m.isError)?.error;

  const inFlight = runs.data?.find((r) => r.status === 'running' || r.status === 'queued');
  const live = useRunEvents(slug, inFlight?.id, inFlight?.status === 'running');

  if (source.isError) return <Alert type="error" showIcon message={source.error.message} />;
  if (!source.data) return null;
  const s = source.data;
  const scheduleText = schedule ?? s.schedule;

  return (
    <Space direction="vertical" size="large" style={{ width: '100%' }}>
      <Space wrap style={{ width: '100%', justifyContent: 'space-between' }}>
        <Space>
          <ConnectorIcon icon={connector?.icon} />
          <Typography.Title level={2} style={{ margin: 0 }}>
            {s.name}
          </Typography.Title>
        </Space>
        {canChange && (
          <Space wrap>
            <Button onClick={() => testConnection.mutate()} loading={testConnection.isPending}>
              {t('source.test')}
            </Button>
            <Button type="primary" icon={<SyncOutlined />} onClick={() => syncNow.mutate()} loading={syncNow.isPending}>
              {t('source.syncNow')}
            </Button>
            <Popconfirm title={t('source.deleteConfirm', { name: s.name })} okText={t('common.delete')} cancelText={t('common.cancel')} okButtonProps={{ danger: true }} onConfirm={() => remove.mutate()}>
              <Button danger icon={<DeleteOutlined />}>
                {t('common.delete')}
              </Button>
            </Popconfirm>
          </Space>
        )}
      </Space>
      {check && (check.ok ? <Alert type="success" showIcon message={t('source.checkOk')} role="status" /> : <Alert type="error" showIcon message={t('source.checkFailed')} description={check.reason} role="alert" />)}
      {failure && <Alert type="error" showIcon message={failure.message} role="alert" />}
      {s.status === 'needs_attention' && <Alert type="warning" showIcon message={t('sources.statusAttention')} description={s.statusReason} />}
      <Card>
        <Descriptions column={{ xs: 1, md: 2 }} size="small">
          <Descriptions.Item label={t('sources.connector')}>{connector?.name ?? s.connectorId}</Descriptions.Item>
          <Descriptions.Item label={t('source.created')}>{formatDateTime(s.createdAt)}</Descriptions.Item>
          <Descriptions.Item label={t('source.enabled')}>
            <Switch aria-label={t('source.enabled')} checked={s.enabled} disabled={!canChange} loading={toggle.isPending} onChange={(on) => toggle.mutate(on)} />
          </Descriptions.Item>
          <Descriptions.Item label={t('sources.schedule')}>
            <Space direction="vertical" size={2}>
              <Space.Compact>
                <Input aria-label={t('sources.schedule')} value={scheduleText} disabled={!canChange} onChange={(e) => setSchedule(e.target.value)} style={{ width: 180 }} />
                {canChange && schedule !== undefined && schedule !== s.schedule && (
                  <Button onClick={() => saveSchedule.mutate(schedule)} loading={saveSchedule.isPending}>
                    {t('common.save')}
                  </Button>
                )}
              </Space.Compact>
              <Typography.Text type="secondary" data-testid="schedule-preview">
                {describeCron(scheduleText) ?? t('addSource.notCron')}
              </Typography.Text>
            </Space>
          </Descriptions.Item>
        </Descriptions>
      </Card>
      {inFlight && (
        <Card title={t('runs.live')} data-testid="live-run">
          <Space direction="vertical" style={{ width: '100%' }}>
            <Space wrap>
              <RunStatus status={live?.status ?? inFlight.status} />
              {live?.currentStream && <Typography.Text>{t('runs.currentStream', { stream: live.currentStream })}</Typography.Text>}
            </Space>
            <Typography.Text>{t('runs.readStored', { read: formatNumber(live?.totals.read ?? 0), stored: formatNumber(live?.totals.stored ?? 0), deadLettered: formatNumber(live?.totals.deadLettered ?? 0) })}</Typography.Text>
            <Progress percent={100} status="active" showInfo={false} />
          </Space>
        </Card>
      )}
      <div>
        <Typography.Title level={3}>{t('runs.title')}</Typography.Title>
        <RunsTable runs={runs.data ?? []} loading={runs.isPending} canChange={canChange} />
      </div>
    </Space>
  );
}

function RunsTable({ runs, loading, canChange }: { runs: Run[]; loading: boolean; canChange: boolean }) {
  const { t } = useTranslation();
  return (
    <Table
      rowKey="id"
      loading={loading}
      dataSource={runs}
      pagination={false}
      scroll={{ x: 760 }}
      data-testid="runs"
      locale={{ emptyText: <Empty description={canChange ? t('runs.emptyAdmin') : t('runs.emptyViewer')} /> }}
      columns={[
        { title: t('runs.statusTitle'), key: 'status', render: (_, run) => <Link to={`../../runs/${run.id}`} relative="path"><RunStatus status={run.status} /></Link> },
        { title: t('runs.started'), key: 'started', render: (_, run) => formatDateTime(run.startedAt) },
        { title: t('runs.duration'), key: 'duration', render: (_, run) => formatDuration(run.durationMs) },
        { title: t('runs.read'), key: 'read', align: 'right', render: (_, run) => <span data-testid="run-read">{formatNumber(run.totals.read)}</span> },
        { title: t('runs.stored'), key: 'stored', align: 'right', render: (_, run) => <span data-testid="run-stored">{formatNumber(run.totals.stored)}</span> },
        { title: t('runs.deadLettered'), key: 'dead', align: 'right', render: (_, run) => formatNumber(run.totals.deadLettered) },
        { title: t('runs.trigger'), key: 'trigger', render: (_, run) => t(`runs.triggers.${run.trigger}`) },
        { title: '', key: 'open', render: (_, run) => <Link to={`../../runs/${run.id}`} relative="path">{t('runs.details')}</Link> },
      ]}
    />
  );
}
