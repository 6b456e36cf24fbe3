import { PlusOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, Button, Card, Checkbox, Empty, Form, Input, Popconfirm, Space, Table, Tag, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, must, type Schemas } from '../api/client';
import { formatDateTime } from '../lib/format';
import { SecretOnce } from '../lib/SecretOnce';
import { fieldErrors } from './ConfigFields';
import { useWorkspace } from './Frame';

const EVENTS: Schemas['WebhookSubscription']['events'] = ['segment.entered', 'segment.exited', 'profile.merged', 'profile.updated', 'persona.assigned'];
const DELIVERY_COLORS = { pending: 'processing', delivered: 'success', failed: 'error' } as const;

/** Webhook subscriptions: create (signing secret shown once), rotate the secret, recent deliveries, redeliver, delete. */
export default function Webhooks() {
  const { t } = useTranslation();
  const { slug, canChange } = useWorkspace();
  const queryClient = useQueryClient();
  const [creating, setCreating] = useState(false);
  const [open, setOpen] = useState<string>();
  const [secret, setSecret] = useState<string>();
  const [form] = Form.useForm();
  const path = { workspace: slug };
  const hooks = useQuery({ queryKey: ['webhooks', slug], queryFn: async () => must(await api.GET('/admin/api/workspaces/{workspace}/webhooks', { params: { path } })).data });
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['webhooks', slug] });
  const create = useMutation({
    mutationFn: async (body: Schemas['CreateWebhookSubscription']) => {
      const result = await api.POST('/admin/api/workspaces/{workspace}/webhooks', { params: { path }, body });
      if (!result.data) form.setFields(fieldErrors((result.error as { errors?: { field: string; message: string }[] }).errors).fields);
      return must(result);
    },
    onSuccess: async (created) => {
      setSecret(created.secret);
      setCreating(false);
      form.resetFields();
      await refresh();
    },
  });
  const rotate = useMutation({
    mutationFn: async (id: string) => must(await api.POST('/admin/api/workspaces/{workspace}/webhooks/{id}/rotate-secret', { params: { path: { workspace: slug, id } } })),
    onSuccess: (rotated) => setSecret(rotated.secret),
  });
  const remove = useMutation({
    mutationFn: async (id: string) => must(await api.DELETE('/admin/api/workspaces/{workspace}/webhooks/{id}', { params: { path: { workspace: slug, id } } })),
    onSuccess: refresh,
  });
  const failure = [create, rotate, remove].find((m) => m.isError)?.error;

  return (
    <Space direction="vertical" size="large" style={{ width: '100%' }}>
      <Space style={{ width: '100%', justifyContent: 'space-between' }} wrap>
        <Typography.Title level={2} style={{ margin: 0 }}>
          {t('webhooks.title')}
        </Typography.Title>
        {canChange && !creating && (
          <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)}>
            {t('webhooks.create')}
          </Button>
        )}
      </Space>
      {secret && <SecretOnce label={t('webhooks.secret')} value={secret} />}
      {failure && <Alert type="error" showIcon message={failure.message} />}
      {creating && (
        <Card>
          <Form form={form} layout="vertical" initialValues={{ events: ['segment.entered', 'segment.exited'] }} onFinish={(values) => create.mutate(values)}>
            <Form.Item name="url" label={t('webhooks.url')} rules={[{ required: true, message: t('form.required') }]}>
              <Input type="url" placeholder="https://example.com/portrait-hook" />
            </Form.Item>
            <Form.Item name="events" label={t('webhooks.events')} rules={[{ required: true, message: t('form.required') }]}>
              <Checkbox.Group options={EVENTS.map((e) => ({ value: e, label: e }))} />
            </Form.Item>
            <Form.Item name="description" label={t('webhooks.description')}>
              <Input />
            </Form.Item>
            <Space>
              <Button type="primary" htmlType="submit" loading={create.isPending}>
                {t('webhooks.create')}
              </Button>
              <Button onClick={() => setCreating(false)}>{t('common.cancel')}</Button>
            </Space>
          </Form>
        </Card>
      )}
      <Table
        rowKey="id"
        loading={hooks.isPending}
        dataSource={hooks.data ?? []}
        pagination={false}
        scroll={{ x: 720 }}
        expandable={{ expandedRowKeys: open ? [open] : [], onExpand: (expanded, row) => setOpen(expanded ? row.id : undefined), expandedRowRender: (row) => <Deliveries workspace={slug} id={row.id} canChange={canChange} /> }}
        locale={{ emptyText: <Empty description={canChange ? t('webhooks.emptyAdmin') : t('webhooks.emptyViewer')} /> }}
        columns={[
          { title: t('webhooks.url'), dataIndex: 'url' },
          { title: t('webhooks.events'), key: 'events', render: (_, w) => <Space size={[4, 4]} wrap>{w.events.map((e) => <Tag key={e}>{e}</Tag>)}</Space> },
          { title: t('webhooks.created'), key: 'created', render: (_, w) => formatDateTime(w.createdAt) },
          {
            title: '',
            key: 'actions',
            render: (_, w) =>
              canChange && (
                <Space>
                  <Popconfirm title={t('webhooks.rotateConfirm')} okText={t('webhooks.rotate')} cancelText={t('common.cancel')} onConfirm={() => rotate.mutate(w.id)}>
                    <Button size="small">{t('webhooks.rotate')}</Button>
                  </Popconfirm>
                  <Popconfirm title={t('webhooks.deleteConfirm')} okText={t('common.delete')} cancelText={t('common.cancel')} okButtonProps={{ danger: true }} onConfirm={() => remove.mutate(w.id)}>
                    <Button size="small" danger>
                      {t('common.delete')}
                    </Button>
                  </Popconfirm>
                </Space>
              ),
          },
        ]}
      />
    </Space>
  );
}

function Deliveries({ workspace, id, canChange }: { workspace: string; id: string; canChange: boolean }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const deliveries = useQuery({
    queryKey: ['deliveries', workspace, id],
    queryFn: async () => must(await api.GET('/admin/api/workspaces/{workspace}/webhooks/{id}/deliveries', { params: { path: { workspace, id }, query: { limit: 20 } } })).data,
  });
  const redeliver = useMutation({
    mutationFn: async (deliveryId: string) => must(await api.POST('/admin/api/workspaces/{workspace}/webhooks/{id}/deliveries/{deliveryId}/redeliver', { params: { path: { workspace, id, deliveryId } } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['deliveries', workspace, id] }),
  });
  return (
    <Table
      rowKey="id"
      size="small"
      loading={deliveries.isPending}
      dataSource={deliveries.data ?? []}
      pagination={false}
      locale={{ emptyText: <Empty description={t('webhooks.noDeliveries')} /> }}
      columns={[
        { title: t('webhooks.event'), dataIndex: 'eventType' },
        { title: t('webhooks.status'), key: 'status', render: (_, d) => <Tag color={DELIVERY_COLORS[d.status]}>{t(`webhooks.statuses.${d.status}`)}</Tag> },
        { title: t('webhooks.attempts'), dataIndex: 'attempts', align: 'right' },
        { title: t('webhooks.answer'), key: 'answer', render: (_, d) => d.lastResponseStatus ?? d.lastError ?? '—' },
        { title: t('webhooks.lastAttempt'), key: 'last', render: (_, d) => formatDateTime(d.lastAttemptAt) },
        { title: '', key: 'redeliver', render: (_, d) => canChange && <Button size="small" loading={redeliver.isPending && redeliver.variables === d.id} onClick={() => redeliver.mutate(d.id)}>{t('webhooks.redeliver')}</Button> },
      ]}
    />
  );
}
