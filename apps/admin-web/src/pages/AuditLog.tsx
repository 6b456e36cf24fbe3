import { useInfiniteQuery } from '@tanstack/react-query';
import { Alert, Button, Empty, Space, Table, Tag, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { Navigate } from 'react-router';
import { api, must } from '../api/client';
import { formatDateTime } from '../lib/format';
import { useWorkspace } from './Frame';

/** The workspace's audit log, newest first (owners only: the server refuses anyone else). */
export default function AuditLog() {
  const { t } = useTranslation();
  const { slug, isOwner } = useWorkspace();
  const log = useInfiniteQuery({
    queryKey: ['audit-log', slug],
    enabled: isOwner,
    initialPageParam: undefined as string | undefined,
    queryFn: async ({ pageParam }) => must(await api.GET('/admin/api/workspaces/{workspace}/audit-log', { params: { path: { workspace: slug }, query: { limit: 50, cursor: pageParam } } })),
    getNextPageParam: (page) => page.nextCursor ?? undefined,
  });
  if (!isOwner) return <Navigate to={`/w/${slug}/sources`} replace />;
  return (
    <Space direction="vertical" size="large" style={{ width: '100%' }}>
      <Typography.Title level={2} style={{ margin: 0 }}>
        {t('audit.title')}
      </Typography.Title>
      {log.isError && <Alert type="error" showIcon message={log.error.message} />}
      <Table
        rowKey="id"
        loading={log.isPending}
        dataSource={log.data?.pages.flatMap((p) => p.data) ?? []}
        pagination={false}
        scroll={{ x: 760 }}
        data-testid="audit-log"
        locale={{ emptyText: <Empty description={t('audit.empty')} /> }}
        columns={[
          { title: t('audit.at'), key: 'at', render: (_, e) => formatDateTime(e.at) },
          { title: t('audit.actor'), key: 'actor', render: (_, e) => <Space>{e.actor.label}<Tag>{e.actor.via}</Tag></Space> },
          { title: t('audit.action'), key: 'action', render: (_, e) => <Typography.Text code>{e.action}</Typography.Text> },
          { title: t('audit.target'), key: 'target', render: (_, e) => (e.target ? `${e.target.type}${e.target.id ? ` ${e.target.id}` : ''}` : '—') },
          { title: t('audit.ip'), key: 'ip', render: (_, e) => e.ip ?? '—' },
        ]}
      />
      {log.hasNextPage && (
        <Button onClick={() => void log.fetchNextPage()} loading={log.isFetchingNextPage}>
          {t('audit.more')}
        </Button>
      )}
    </Space>
  );
}
