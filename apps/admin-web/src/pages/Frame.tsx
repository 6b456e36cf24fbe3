import { ApiOutlined, AuditOutlined, KeyOutlined, LogoutOutlined, SendOutlined, TeamOutlined } from '@ant-design/icons';
import { useQueryClient } from '@tanstack/react-query';
import { Button, Empty, Layout, Menu, Select, Space, Typography } from 'antd';
import { Suspense, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, Navigate, Outlet, useLocation, useNavigate, useParams } from 'react-router';
import { api, setCsrfToken } from '../api/client';
import { chooseLanguage, LANGUAGES, type Language } from '../i18n';
import { useSession } from '../session';

/** The current workspace of a page under /w/:workspace: its slug and the caller's role there. */
export function useWorkspace(): { slug: string; role: 'owner' | 'admin' | 'viewer'; canChange: boolean; isOwner: boolean } {
  const { workspace } = useParams();
  const membership = useSession().workspaces.find((w) => w.slug === workspace);
  const role = membership?.role ?? 'viewer';
  return { slug: workspace!, role, canChange: role !== 'viewer', isOwner: role === 'owner' };
}

/** `/` sends a signed-in admin to their first workspace's sources. */
export function FirstWorkspace() {
  const { t } = useTranslation();
  const first = useSession().workspaces[0];
  if (!first) return <Empty style={{ marginTop: 96 }} description={t('frame.noWorkspace')} />;
  return <Navigate to={`/w/${first.slug}/sources`} replace />;
}

/** The app's frame: navigation, workspace switch, language, sign-out, and the page. */
export function Frame() {
  const { t, i18n } = useTranslation();
  const session = useSession();
  const { slug, isOwner } = useWorkspace();
  const location = useLocation();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [folded, setFolded] = useState(false);
  if (!session.workspaces.some((w) => w.slug === slug)) return <Navigate to="/" replace />;

  const section = location.pathname.split('/')[3] ?? 'sources';
  const items = [
    { key: 'sources', icon: <ApiOutlined />, label: <Link to={`/w/${slug}/sources`}>{t('nav.sources')}</Link> },
    { key: 'api-keys', icon: <KeyOutlined />, label: <Link to={`/w/${slug}/api-keys`}>{t('nav.apiKeys')}</Link> },
    { key: 'webhooks', icon: <SendOutlined />, label: <Link to={`/w/${slug}/webhooks`}>{t('nav.webhooks')}</Link> },
    { key: 'members', icon: <TeamOutlined />, label: <Link to={`/w/${slug}/members`}>{t('nav.members')}</Link> },
    ...(isOwner ? [{ key: 'audit-log', icon: <AuditOutlined />, label: <Link to={`/w/${slug}/audit-log`}>{t('nav.auditLog')}</Link> }] : []),
  ];

  async function signOut() {
    await api.DELETE('/admin/api/session');
    setCsrfToken(null);
    queryClient.clear();
    await navigate('/sign-in', { replace: true });
  }

  return (
    <Layout style={{ minHeight: '100vh' }}>
      <Layout.Sider breakpoint="lg" collapsedWidth={64} onCollapse={setFolded} theme="light" style={{ borderRight: '1px solid #f0f0f0' }}>
        <div style={{ padding: '16px 20px', fontWeight: 700, fontSize: 18, whiteSpace: 'nowrap', overflow: 'hidden' }}>{folded ? 'P' : 'Portrait'}</div>
        <nav aria-label={t('nav.label')}>
          <Menu mode="inline" selectedKeys={[section === 'runs' ? 'sources' : section]} items={items} style={{ borderRight: 0 }} />
        </nav>
      </Layout.Sider>
      <Layout>
        <Layout.Header style={{ background: '#fff', padding: '0 16px', display: 'flex', alignItems: 'center', justifyContent: 'space-between', gap: 12, borderBottom: '1px solid #f0f0f0', flexWrap: 'wrap', height: 'auto', minHeight: 64, lineHeight: 'normal', paddingBlock: 12 }}>
          <Space wrap>
            <label htmlFor="workspace-switch">{t('frame.workspace')}</label>
            <Select
              id="workspace-switch"
              aria-label={t('frame.workspace')}
              value={slug}
              style={{ minWidth: 180 }}
              options={session.workspaces.map((w) => ({ value: w.slug, label: `${w.name} (${t(`roles.${w.role}`)})` }))}
              onChange={(next: string) => void navigate(`/w/${next}/sources`)}
            />
          </Space>
          <Space wrap>
            <Select
              id="language-switch"
              aria-label={t('frame.language')}
              value={(i18n.language in LANGUAGES ? i18n.language : 'en') as Language}
              style={{ width: 170 }}
              options={Object.entries(LANGUAGES).map(([value, label]) => ({ value, label }))}
              onChange={(language: Language) => chooseLanguage(language)}
            />
            <Typography.Text>{session.user.email}</Typography.Text>
            <Button icon={<LogoutOutlined />} onClick={() => void signOut()}>
              {t('frame.signOut')}
            </Button>
          </Space>
        </Layout.Header>
        <Layout.Content style={{ padding: 24, maxWidth: 1280, width: '100%' }}>
          <Suspense fallback={null}>
            <Outlet />
          </Suspense>
        </Layout.Content>
      </Layout>
    </Layout>
  );
}
