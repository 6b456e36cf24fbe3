import { Alert, Typography } from 'antd';
import { useTranslation } from 'react-i18next';

/** A secret answered once (an API key, a signing secret): copyable, with the warning that it is not shown again. */
export function SecretOnce({ label, value }: { label: string; value: string }) {
  const { t } = useTranslation();
  return (
    <Alert
      type="warning"
      showIcon
      message={label}
      description={
        <>
          <Typography.Paragraph copyable={{ text: value }} code data-testid="secret-once" style={{ wordBreak: 'break-all', marginBottom: 4 }}>
            {value}
          </Typography.Paragraph>
          {t('common.shownOnce')}
        </>
      }
    />
  );
}
