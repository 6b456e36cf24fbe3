import { PlusOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, Button, Card, Checkbox, Empty, Form, Input, InputNumber, Popconfirm, Space, Table, Tag, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, must, type Schemas } from '../api/client';
import { formatDateTime, formatNumber } from '../lib/format';
import { SecretOnce } from '../lib/SecretOnce';
import { useWorkspace } from './Frame';

const SCOPES: Schemas['ApiKey']['scopes'] = ['profiles:read', 'profiles:write', 'events:write', 'segments:read', 'personas:read', 'privacy:write', 'webhooks:manage'];

/** Keys of the public API: create with scopes (the key shown once), list with last use, revoke. */
export default function ApiKeys() {
  const { t } = useTranslation();
  const { slug, canChange } = useWorkspace();
  const queryClient = useQueryClient();
  const [creating, setCreating] = useState(false);
  const [form] = Form.useForm();
  const path = { workspace: slug };
  const keys = useQuery({ queryKey: ['api-keys', slug], queryFn: async () => must(await api.GET('/admin/api/workspaces/{workspace}/api-keys', { params: { path } })).data });
  const create = useMutation({
    mutationFn: async (body: Schemas['CreateApiKey']) => must(await api.POST('/admin/api/workspaces/{workspace}/api-keys', { params: { path }, body })),
    onSuccess: async () => {
      setCreating(false);
      form.resetFields();
      await queryClient.invalidateQueries({ queryKey: ['api-keys', slug] });
    },
  });
  const revoke = useMutation({
    mutationFn: async (id: string) => must(await api.DELETE('/admin/api/workspaces/{workspace}/api-keys/{id}', { params: { path: { workspace: slug, id } } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['api-keys', slug] }),
  });

  return (
    <Space direction="vertical" size="large" style={{ width: '100%' }}>
      <Space style={{ width: '100%', justifyContent: 'space-between' }} wrap>
        <Typography.Title level={2} style={{ margin: 0 }}>
          {t('apiKeys.title')}
        </Typography.Title>
        {canChange && !creating && (
          <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)}>
            {t('apiKeys.create')}
          </Button>
        )}
      </Space>
      {create.data && <SecretOnce label={t('apiKeys.created')} value={create.data.key} />}
      {[create, revoke].find((m) => m.isError) && <Alert type="error" showIcon message={[create, revoke].find((m) => m.isError)!.error!.message} />}
      {creating && (
        <Card>
          <Form form={form} layout="vertical" initialValues={{ name: '', scopes: ['profiles:read'], rateLimitPerMinute: 600 }} onFinish={(values) => create.mutate({ ...values, name: values.name || 'api key' })}>
            <Form.Item name="name" label={t('apiKeys.name')}>
              <Input maxLength={100} />
            </Form.Item>
            <Form.Item name="scopes" label={t('apiKeys.scopes')} rules={[{ required: true, message: t('form.required') }]}>
              <Checkbox.Group options={SCOPES.map((s) => ({ value: s, label: s }))} />
            </Form.Item>
            <Form.Item name="rateLimitPerMinute" label={t('apiKeys.rateLimit')}>
              <InputNumber min={1} />
            </Form.Item>
            <Space>
              <Button type="primary" htmlType="submit" loading={create.isPending}>
                {t('apiKeys.create')}
              </Button>
              <Button onClick={() => setCreating(false)}>{t('common.cancel')}</Button>
            </Space>
          </Form>
        </Card>
      )}
      <Table
        rowKey="id"
        loading={keys.isPending}
        dataSource={keys.data ?? []}
        pagination={false}
        scroll={{ x: 720 }}
        locale={{ emptyText: <Empty description={canChange ? t('apiKeys.emptyAdmin') : t('apiKeys.emptyViewer')} /> }}
        columns={[
          { title: t('apiKeys.name'), dataIndex: 'name' },
          { title: t('apiKeys.prefix'), key: 'prefix', render: (_, k) => <Typography.Text code>{k.prefix}…</Typography.Text> },
          { title: t('apiKeys.scopes'), key: 'scopes', render: (_, k) => <Space size={[4, 4]} wrap>{k.scopes.map((s) => <Tag key={s}>{s}</Tag>)}</Space> },
          { title: t('apiKeys.rateLimit'), key: 'rate', align: 'right', render: (_, k) => formatNumber(k.rateLimitPerMinute) },
          { title: t('apiKeys.lastUsed'), key: 'lastUsed', render: (_, k) => (k.lastUsedAt ? formatDateTime(k.lastUsedAt) : t('apiKeys.neverUsed')) },
          {
            title: '',
            key: 'revoke',
            render: (_, k) =>
              k.revokedAt ? (
                <Tag>{t('apiKeys.revoked')}</Tag>
              ) : canChange ? (
                <Popconfirm title={t('apiKeys.revokeConfirm', { name: k.name })} okText={t('apiKeys.revoke')} cancelText={t('common.cancel')} okButtonProps={{ danger: true }} onConfirm={() => revoke.mutate(k.id)}>
                  <Button danger size="small">
                    {t('apiKeys.revoke')}
                  </Button>
                </Popconfirm>
              ) : null,
          },
        ]}
      />
    </Space>
  );
}
