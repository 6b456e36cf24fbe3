import { App as AntApp, ConfigProvider } from 'antd';
import enUS from 'antd/locale/en_US';
import esES from 'antd/locale/es_ES';
import itIT from 'antd/locale/it_IT';
import ptBR from 'antd/locale/pt_BR';
import ruRU from 'antd/locale/ru_RU';
import zhCN from 'antd/locale/zh_CN';
import { lazy, Suspense } from 'react';
import { useTranslation } from 'react-i18next';
import { createBrowserRouter, Navigate, RouterProvider } from 'react-router';
import type { Language } from './i18n';
import { RequireSession } from './session';

const ANT_LOCALES = { en: enUS, 'pt-BR': ptBR, es: esES, it: itIT, 'zh-CN': zhCN, ru: ruRU };

// The frame (layout, menu) is a chunk of its own too: the sign-in page does not load it.
const Frame = lazy(() => import('./pages/Frame').then((m) => ({ default: m.Frame })));
const FirstWorkspace = lazy(() => import('./pages/Frame').then((m) => ({ default: m.FirstWorkspace })));
const SignIn = lazy(() => import('./pages/SignIn'));
const Sources = lazy(() => import('./pages/Sources'));
const AddSource = lazy(() => import('./pages/AddSource'));
const SourceDetail = lazy(() => import('./pages/SourceDetail'));
const RunDetail = lazy(() => import('./pages/RunDetail'));
const ApiKeys = lazy(() => import('./pages/ApiKeys'));
const Webhooks = lazy(() => import('./pages/Webhooks'));
const Members = lazy(() => import('./pages/Members'));
const AuditLog = lazy(() => import('./pages/AuditLog'));

const router = createBrowserRouter([
  { path: '/sign-in', element: <SignIn /> },
  {
    path: '/',
    element: (
      <RequireSession>
        <FirstWorkspace />
      </RequireSession>
    ),
  },
  {
    path: '/w/:workspace',
    element: (
      <RequireSession>
        <Frame />
      </RequireSession>
    ),
    children: [
      { index: true, element: <Navigate to="sources" replace /> },
      { path: 'sources', element: <Sources /> },
      { path: 'sources/new', element: <AddSource /> },
      { path: 'sources/:sourceId', element: <SourceDetail /> },
      { path: 'runs/:runId', element: <RunDetail /> },
      { path: 'api-keys', element: <ApiKeys /> },
      { path: 'webhooks', element: <Webhooks /> },
      { path: 'members', element: <Members /> },
      { path: 'audit-log', element: <AuditLog /> },
    ],
  },
  { path: '*', element: <Navigate to="/" replace /> },
]);

/** The admin web UI: Ant Design in the chosen language around the router. */
export function App() {
  const { i18n } = useTranslation();
  return (
    <ConfigProvider locale={ANT_LOCALES[i18n.language as Language] ?? enUS} theme={{ token: { colorPrimary: '#3b5bdb' } }}>
      <AntApp>
        <Suspense fallback={null}>
          <RouterProvider router={router} />
        </Suspense>
      </AntApp>
    </ConfigProvider>
  );
}
