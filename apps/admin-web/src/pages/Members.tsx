import { UserAddOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, Button, Card, Empty, Form, Input, Popconfirm, Select, Space, Table, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, must, type Schemas } from '../api/client';
import { formatDateTime } from '../lib/format';
import { SecretOnce } from '../lib/SecretOnce';
import { useSession } from '../session';
import { fieldErrors } from './ConfigFields';
import { useWorkspace } from './Frame';

type Role = Schemas['Member']['role'];
const ROLES: Role[] = ['viewer', 'admin', 'owner'];

/** The workspace's members and roles; owners invite users with a role, change roles and remove members. */
export default function Members() {
  const { t } = useTranslation();
  const { slug, isOwner } = useWorkspace();
  const me = useSession().user.id;
  const queryClient = useQueryClient();
  const [inviting, setInviting] = useState(false);
  const [form] = Form.useForm();
  const path = { workspace: slug };
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['members', slug] });
  const members = useQuery({ queryKey: ['members', slug], queryFn: async () => must(await api.GET('/admin/api/workspaces/{workspace}/members', { params: { path } })).data });
  const invite = useMutation({
    mutationFn: async (body: Schemas['AddMember']) => {
      const result = await api.POST('/admin/api/workspaces/{workspace}/members', { params: { path }, body });
      if (!result.data) form.setFields(fieldErrors((result.error as { errors?: { field: string; message: string }[] }).errors).fields);
      return must(result);
    },
    onSuccess: async () => {
      setInviting(false);
      form.resetFields();
      await refresh();
    },
  });
  const changeRole = useMutation({
    mutationFn: async ({ userId, role }: { userId: string; role: Role }) => must(await api.PATCH('/admin/api/workspaces/{workspace}/members/{userId}', { params: { path: { workspace: slug, userId } }, body: { role } })),
    onSettled: refresh,
  });
  const remove = useMutation({
    mutationFn: async (userId: string) => must(await api.DELETE('/admin/api/workspaces/{workspace}/members/{userId}', { params: { path: { workspace: slug, userId } } })),
    onSuccess: refresh,
  });
  const failure = [changeRole, remove].find((m) => m.isError)?.error;

  return (
    <Space direction="vertical" size="large" style={{ width: '100%' }}>
      <Space style={{ width: '100%', justifyContent: 'space-between' }} wrap>
        <Typography.Title level={2} style={{ margin: 0 }}>
          {t('members.title')}
        </Typography.Title>
        {isOwner && !inviting && (
          <Button type="primary" icon={<UserAddOutlined />} onClick={() => setInviting(true)}>
            {t('members.invite')}
          </Button>
        )}
      </Space>
      {invite.data?.password && <SecretOnce label={t('members.password', { email: invite.data.member.email })} value={invite.data.password} />}
      {invite.data && !invite.data.password && <Alert type="success" showIcon message={t('members.added', { email: invite.data.member.email })} />}
      {failure && <Alert type="error" showIcon message={failure.message} />}
      {inviting && (
        <Card>
          <Form form={form} layout="vertical" initialValues={{ role: 'viewer' }} onFinish={(values) => invite.mutate(values)}>
            <Form.Item name="email" label={t('members.email')} rules={[{ required: true, message: t('form.required') }]}>
              <Input type="email" />
            </Form.Item>
            <Form.Item name="role" label={t('members.role')}>
              <Select id="invite-role" options={ROLES.map((r) => ({ value: r, label: t(`roles.${r}`) }))} style={{ maxWidth: 240 }} />
            </Form.Item>
            {invite.isError && <Alert style={{ marginBottom: 16 }} type="error" showIcon message={invite.error.message} />}
            <Space>
              <Button type="primary" htmlType="submit" loading={invite.isPending}>
                {t('members.invite')}
              </Button>
              <Button onClick={() => setInviting(false)}>{t('common.cancel')}</Button>
            </Space>
          </Form>
        </Card>
      )}
      <Table
        rowKey="userId"
        loading={members.isPending}
        dataSource={members.data ?? []}
        pagination={false}
        scroll={{ x: 600 }}
        locale={{ emptyText: <Empty description={t('members.empty')} /> }}
        columns={[
          { title: t('members.email'), dataIndex: 'email' },
          {
            title: t('members.role'),
            key: 'role',
            render: (_, m) =>
              isOwner ? (
                <Select aria-label={t('members.roleOf', { email: m.email })} value={m.role} style={{ width: 170 }} onChange={(role: Role) => changeRole.mutate({ userId: m.userId, role })} options={ROLES.map((r) => ({ value: r, label: t(`roles.${r}`) }))} />
              ) : (
                t(`roles.${m.role}`)
              ),
          },
          { title: t('members.addedAt'), key: 'added', render: (_, m) => formatDateTime(m.addedAt) },
          {
            title: '',
            key: 'remove',
            render: (_, m) =>
              isOwner && m.userId !== me && (
                <Popconfirm title={t('members.removeConfirm', { email: m.email })} okText={t('members.remove')} cancelText={t('common.cancel')} okButtonProps={{ danger: true }} onConfirm={() => remove.mutate(m.userId)}>
                  <Button danger size="small">
                    {t('members.remove')}
                  </Button>
                </Popconfirm>
              ),
          },
        ]}
      />
    </Space>
  );
}
