import { Tag } from 'antd';
import { useTranslation } from 'react-i18next';

const COLORS = { queued: 'default', running: 'processing', succeeded: 'success', failed: 'error', cancelled: 'warning' } as const;

/** A run's status as a coloured tag in the chosen language. */
export function RunStatus({ status }: { status: keyof typeof COLORS }) {
  const { t } = useTranslation();
  return <Tag color={COLORS[status]} data-status={status}>{t(`runs.status.${status}`)}</Tag>;
}
