import { PlusOutlined } from '@ant-design/icons';
import { Alert, Button, Card, Col, Empty, Row, Space, Table, Tag, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate } from 'react-router';
import { ConnectorIcon } from '../lib/ConnectorIcon';
import { describeCron } from '../lib/cron';
import { useConnectors, useSources } from '../lib/queries';
import { useWorkspace } from './Frame';

/** The workspace's sources and the catalogue of installed connectors. */
export default function Sources() {
  const { t } = useTranslation();
  const { slug, canChange } = useWorkspace();
  const navigate = useNavigate();
  const sources = useSources(slug);
  const connectors = useConnectors();
  const byId = new Map((connectors.data ?? []).map((c) => [c.id, c]));

  return (
    <Space direction="vertical" size="large" style={{ width: '100%' }}>
      <Space style={{ width: '100%', justifyContent: 'space-between' }} wrap>
        <Typography.Title level={2} style={{ margin: 0 }}>
          {t('sources.title')}
        </Typography.Title>
        {canChange && (
          <Button type="primary" icon={<PlusOutlined />} onClick={() => void navigate('new')}>
            {t('sources.add')}
          </Button>
        )}
      </Space>
      {sources.isError && <Alert type="error" showIcon message={sources.error.message} />}
      <Table
        rowKey="id"
        loading={sources.isPending}
        dataSource={sources.data ?? []}
        pagination={false}
        scroll={{ x: 720 }}
        locale={{ emptyText: <Empty description={canChange ? t('sources.emptyAdd') : t('sources.emptyViewer')} /> }}
        columns={[
          {
            title: t('sources.name'),
            key: 'name',
            render: (_, source) => (
              <Space>
                <ConnectorIcon icon={byId.get(source.connectorId)?.icon} size={22} />
                <Link to={source.id}>{source.name}</Link>
              </Space>
            ),
          },
          { title: t('sources.connector'), key: 'connector', render: (_, source) => byId.get(source.connectorId)?.name ?? source.connectorId },
          {
            title: t('sources.status'),
            key: 'status',
            render: (_, source) => (source.status === 'ok' ? <Tag color="green">{t('sources.statusOk')}</Tag> : <Tag color="red" title={source.statusReason ?? undefined}>{t('sources.statusAttention')}</Tag>),
          },
          { title: t('sources.schedule'), key: 'schedule', render: (_, source) => (source.enabled ? (describeCron(source.schedule) ?? source.schedule) : <Tag>{t('sources.disabled')}</Tag>) },
        ]}
      />
      <div>
        <Typography.Title level={3}>{t('sources.catalogue')}</Typography.Title>
        <Row gutter={[16, 16]}>
          {(connectors.data ?? []).map((connector) => (
            <Col key={connector.id} xs={24} md={12} xl={8}>
              <Card size="small" style={{ height: '100%' }}>
                <Space align="start">
                  <ConnectorIcon icon={connector.icon} />
                  <div>
                    <Typography.Text strong>{connector.name}</Typography.Text>
                    <Typography.Paragraph type="secondary" style={{ marginBottom: 4 }} ellipsis={{ rows: 2 }}>
                      {connector.description}
                    </Typography.Paragraph>
                    <Space size={[4, 4]} wrap>
                      {connector.capabilities.streams.map((s) => (
                        <Tag key={s.name}>{s.name}</Tag>
                      ))}
                      {connector.capabilities.webhooks && <Tag color="blue">{t('sources.capWebhooks')}</Tag>}
                      {connector.capabilities.destination && <Tag color="purple">{t('sources.capDestination')}</Tag>}
                    </Space>
                  </div>
                </Space>
              </Card>
            </Col>
          ))}
        </Row>
      </div>
    </Space>
  );
}
