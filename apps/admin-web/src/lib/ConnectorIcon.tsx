import { ApiOutlined } from '@ant-design/icons';

/** A connector's icon (a data: URL or inline SVG from the catalogue), or a plain one when it has none. */
export function ConnectorIcon({ icon, size = 28 }: { icon: string | null | undefined; size?: number }) {
  if (!icon) return <ApiOutlined style={{ fontSize: size }} aria-hidden />;
  const src = icon.startsWith('data:') ? icon : `data:image/svg+xml;utf8,${encodeURIComponent(icon)}`;
  return <img src={src} alt="" width={size} height={size} style={{ objectFit: 'contain' }} />;
}
