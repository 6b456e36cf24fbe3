import { AuditLogService } from '../../src/modules/audit/audit-log.service.js';
import { createTestCore, type TestCore } from '../../src/testing/index.js';

describe('AuditLogService', () => {
  let core: TestCore;
  let audit: AuditLogService;
  let ws: string;

  beforeAll(async () => {
    core = await createTestCore();
    audit = core.app.get(AuditLogService);
    ws = await core.workspace();
  });
  afterAll(() => core?.close());

  it('lists entries newest first by entry number, past ten entries too, page after page', async () => {
    for (let i = 1; i <= 12; i++) await audit.record({ workspaceId: ws, actor: { label: 'cli:ops', via: 'cli' }, action: `thing.step${i}`, target: { type: 'thing', id: String(i) } });
    const all = await audit.list(ws);
    expect(all.data.map((e) => e.target?.id)).toEqual(['12', '11', '10', '9', '8', '7', '6', '5', '4', '3', '2', '1']);
    const first = await audit.list(ws, { limit: 5 });
    const second = await audit.list(ws, { limit: 5, cursor: first.nextCursor! });
    const third = await audit.list(ws, { limit: 5, cursor: second.nextCursor! });
    expect([...first.data, ...second.data, ...third.data].map((e) => e.action)).toEqual(all.data.map((e) => e.action));
    expect(third.nextCursor).toBeNull();
  });
});
