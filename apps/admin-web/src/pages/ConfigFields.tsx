import { Form, Input, InputNumber, Select, Switch } from 'antd';
import { useTranslation } from 'react-i18next';

interface PropertySchema {
  type?: string | string[];
  enum?: unknown[];
  format?: string;
  writeOnly?: boolean;
  description?: string;
  title?: string;
  default?: unknown;
}

/** The fields a JSON value (object or array) is typed in as text. */
export function jsonFieldsOf(schema: Record<string, unknown>): string[] {
  const properties = (schema.properties ?? {}) as Record<string, PropertySchema>;
  return Object.entries(properties)
    .filter(([, p]) => kindOf(p) === 'json')
    .map(([name]) => name);
}

function kindOf(p: PropertySchema): 'string' | 'secret' | 'number' | 'boolean' | 'enum' | 'json' {
  const type = Array.isArray(p.type) ? p.type.find((x) => x !== 'null') : p.type;
  if (p.enum) return 'enum';
  if (type === 'string') return p.writeOnly || p.format === 'password' ? 'secret' : 'string';
  if (type === 'integer' || type === 'number') return 'number';
  if (type === 'boolean') return 'boolean';
  return 'json';
}

/**
 * The form fields of a connector's configuration, from its JSON Schema: text, numbers, switches and
 * choices; secret fields masked (a stored secret is never shown: left empty, it keeps its value);
 * objects and lists as JSON text. Field names are `config.<field>` as the API names them in its errors.
 */
export function ConfigFields({ schema, editing = false }: { schema: Record<string, unknown>; editing?: boolean }) {
  const { t } = useTranslation();
  const properties = (schema.properties ?? {}) as Record<string, PropertySchema>;
  const required = new Set((schema.required ?? []) as string[]);
  return (
    <>
      {Object.entries(properties).map(([name, p]) => {
        const kind = kindOf(p);
        const rules = required.has(name) && !(editing && kind === 'secret') && kind !== 'boolean' ? [{ required: true, message: t('form.required') }] : [];
        const common = { name: ['config', name], label: p.title ?? name, extra: p.description, rules };
        if (kind === 'boolean') return <Form.Item key={name} {...common} valuePropName="checked" initialValue={p.default ?? false}><Switch /></Form.Item>;
        if (kind === 'enum') return <Form.Item key={name} {...common} initialValue={p.default}><Select options={(p.enum ?? []).map((v) => ({ value: v as string, label: String(v) }))} /></Form.Item>;
        if (kind === 'number') return <Form.Item key={name} {...common} initialValue={p.default}><InputNumber style={{ width: '100%' }} /></Form.Item>;
        if (kind === 'secret') return <Form.Item key={name} {...common}><Input.Password autoComplete="new-password" placeholder={editing ? t('form.secretKept') : undefined} visibilityToggle={!editing} /></Form.Item>;
        if (kind === 'json') return <Form.Item key={name} {...common} extra={`${p.description ? `${p.description} — ` : ''}${t('form.json')}`} initialValue={p.default === undefined ? undefined : JSON.stringify(p.default, null, 2)}><Input.TextArea rows={4} spellCheck={false} style={{ fontFamily: 'monospace' }} /></Form.Item>;
        return <Form.Item key={name} {...common} initialValue={p.default}><Input /></Form.Item>;
      })}
    </>
  );
}

/** The configuration typed in the form, JSON fields parsed; a field that is not JSON is answered as an error. */
export function configFromForm(values: Record<string, unknown>, schema: Record<string, unknown>): { config: Record<string, unknown>; errors: { name: string[]; errors: string[] }[] } {
  const config: Record<string, unknown> = {};
  const errors: { name: string[]; errors: string[] }[] = [];
  const json = new Set(jsonFieldsOf(schema));
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined || value === '' || value === null) continue;
    if (json.has(name) && typeof value === 'string') {
      try {
        config[name] = JSON.parse(value);
      } catch {
        errors.push({ name: ['config', name], errors: ['JSON'] });
      }
    } else config[name] = value;
  }
  return { config, errors };
}

/** Puts the API's field errors (`config.directory`, `name`) on the form's fields; answers the errors no field shows. */
export function fieldErrors(errors: { field: string; message: string }[] | undefined): { fields: { name: string[]; errors: string[] }[] } {
  const byField = new Map<string, string[]>();
  for (const e of errors ?? []) {
    const parts = e.field.split('.');
    const key = (parts[0] === 'config' ? parts.slice(0, 2) : parts.slice(0, 1)).join('.');
    byField.set(key, [...(byField.get(key) ?? []), parts.length > 2 ? `${parts.slice(2).join('.')}: ${e.message}` : e.message]);
  }
  return { fields: [...byField].map(([key, messages]) => ({ name: key.split('.'), errors: messages })) };
}
