import { useQueryClient } from '@tanstack/react-query';
import { Alert, Button, Card, Form, Input, Select, Space, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate, useSearchParams } from 'react-router';
import { api, setCsrfToken } from '../api/client';
import { chooseLanguage, LANGUAGES, type Language } from '../i18n';

/** The sign-in page: e-mail and password, then back to where the admin was going. */
export default function SignIn() {
  const { t, i18n } = useTranslation();
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const next = params.get('next');

  async function submit(values: { email: string; password: string }) {
    setBusy(true);
    setError(undefined);
    const { data, error: problem, response } = await api.POST('/admin/api/session', { body: values });
    setBusy(false);
    if (!data) {
      const code = (problem as { code?: string } | undefined)?.code;
      setError(response.status === 401 ? t('signIn.wrong') : response.status === 429 ? t(code === 'SIGN_IN_LOCKED' ? 'signIn.locked' : 'signIn.limited') : t('signIn.failed'));
      return;
    }
    setCsrfToken(data.csrfToken);
    queryClient.setQueryData(['session'], { user: data.user, via: data.via, csrfToken: data.csrfToken, workspaces: data.workspaces });
    await navigate(next && next.startsWith('/') && !next.startsWith('//') ? next : '/', { replace: true });
  }

  return (
    <main style={{ minHeight: '100vh', display: 'grid', placeItems: 'center', background: '#f5f6fa', padding: 16 }}>
      <Card style={{ width: '100%', maxWidth: 400 }}>
        <Space direction="vertical" size="large" style={{ width: '100%' }}>
          <div>
            <Typography.Title level={2} style={{ marginBottom: 0 }}>
              Portrait
            </Typography.Title>
            <Typography.Text type="secondary">{t('signIn.title')}</Typography.Text>
          </div>
          {params.get('expired') && <Alert type="info" showIcon message={t('signIn.expired')} />}
          {error && <Alert type="error" showIcon message={error} role="alert" />}
          <Form layout="vertical" onFinish={(values) => void submit(values)} requiredMark={false}>
            <Form.Item name="email" label={t('signIn.email')} rules={[{ required: true, message: t('signIn.emailRequired') }]}>
              <Input type="email" autoComplete="username" autoFocus />
            </Form.Item>
            <Form.Item name="password" label={t('signIn.password')} rules={[{ required: true, message: t('signIn.passwordRequired') }]}>
              <Input.Password autoComplete="current-password" />
            </Form.Item>
            <Button type="primary" htmlType="submit" block loading={busy}>
              {t('signIn.submit')}
            </Button>
          </Form>
          <Select
            id="language-switch"
            aria-label={t('frame.language')}
            value={(i18n.language in LANGUAGES ? i18n.language : 'en') as Language}
            style={{ width: '100%' }}
            options={Object.entries(LANGUAGES).map(([value, label]) => ({ value, label }))}
            onChange={(language: Language) => chooseLanguage(language)}
          />
        </Space>
      </Card>
    </main>
  );
}
