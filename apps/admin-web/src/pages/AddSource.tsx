import { useQueryClient } from '@tanstack/react-query';
import { Alert, Button, Card, Form, Input, Select, Space, Switch, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Navigate, useNavigate } from 'react-router';
import { api } from '../api/client';
import { ConnectorIcon } from '../lib/ConnectorIcon';
import { describeCron } from '../lib/cron';
import { useConnectors } from '../lib/queries';
import { configFromForm, ConfigFields, fieldErrors } from './ConfigFields';
import { useWorkspace } from './Frame';

/** "Add source": a connector, a name, a schedule, and the connector's configuration form. */
export default function AddSource() {
  const { t } = useTranslation();
  const { slug, canChange } = useWorkspace();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const connectors = useConnectors();
  const [form] = Form.useForm();
  const [connectorId, setConnectorId] = useState<string>();
  const [problem, setProblem] = useState<string>();
  const [busy, setBusy] = useState(false);
  const schedule = Form.useWatch('schedule', form) as string | undefined;
  const connector = connectors.data?.find((c) => c.id === connectorId);
  if (!canChange) return <Navigate to=".." replace />;

  async function submit(values: { name: string; schedule?: string; enabled: boolean; config?: Record<string, unknown> }) {
    if (!connector) return;
    const { config, errors } = configFromForm(values.config ?? {}, connector.configSchema);
    if (errors.length) return form.setFields(errors.map((e) => ({ ...e, errors: [t('form.notJson')] })));
    setBusy(true);
    setProblem(undefined);
    const { data, error } = await api.POST('/admin/api/workspaces/{workspace}/sources', {
      params: { path: { workspace: slug } },
      body: { connectorId: connector.id, name: values.name, config, schedule: values.schedule || undefined, enabled: values.enabled },
    });
    setBusy(false);
    if (!data) {
      const p = error as { detail?: string; errors?: { field: string; message: string }[] };
      form.setFields(fieldErrors(p.errors).fields);
      setProblem(p.detail ?? t('form.failed'));
      return;
    }
    await queryClient.invalidateQueries({ queryKey: ['sources', slug] });
    await navigate(`../${data.id}`, { relative: 'path' });
  }

  return (
    <Space direction="vertical" size="large" style={{ width: '100%', maxWidth: 760 }}>
      <Typography.Title level={2} style={{ margin: 0 }}>
        {t('addSource.title')}
      </Typography.Title>
      <Card>
        <Form form={form} layout="vertical" onFinish={(v) => void submit(v)} initialValues={{ enabled: true }}>
          <Form.Item label={t('addSource.connector')} required>
            <Select
              id="connector"
              aria-label={t('addSource.connector')}
              placeholder={t('addSource.pickConnector')}
              value={connectorId}
              loading={connectors.isPending}
              onChange={(id: string) => {
                setConnectorId(id);
                form.resetFields();
                form.setFieldValue('schedule', connectors.data?.find((c) => c.id === id)?.defaultSchedule);
              }}
              options={(connectors.data ?? []).map((c) => ({ value: c.id, label: <Space><ConnectorIcon icon={c.icon} size={18} />{c.name}</Space> }))}
            />
          </Form.Item>
          {connector && (
            <>
              <Typography.Paragraph type="secondary">{connector.description}</Typography.Paragraph>
              <Form.Item name="name" label={t('addSource.name')} rules={[{ required: true, message: t('form.required') }]}>
                <Input />
              </Form.Item>
              <Form.Item name="schedule" label={t('addSource.schedule')} extra={schedule ? (describeCron(schedule) ?? t('addSource.notCron')) : undefined}>
                <Input placeholder="*/15 * * * *" />
              </Form.Item>
              <Form.Item name="enabled" label={t('addSource.enabled')} valuePropName="checked">
                <Switch />
              </Form.Item>
              <ConfigFields schema={connector.configSchema} />
              {problem && <Alert style={{ marginBottom: 16 }} type="error" showIcon message={problem} role="alert" />}
              <Space>
                <Button type="primary" htmlType="submit" loading={busy}>
                  {t('addSource.save')}
                </Button>
                <Button onClick={() => void navigate('..', { relative: 'path' })}>{t('common.cancel')}</Button>
              </Space>
            </>
          )}
        </Form>
      </Card>
    </Space>
  );
}
