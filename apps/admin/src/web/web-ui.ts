import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';

/** Paths that are never the web UI: the management API (and the old /api prefix) and the operators' routes keep their own 404s. */
const NOT_UI = /^\/(admin\/api|api|healthz|readyz|metrics)(\/|$|\?)/;

/** The folder of the built web UI (`@portrait/admin-web`'s `dist`), or undefined when it was not built. */
export function webUiRoot(): string | undefined {
  try {
    const root = join(dirname(createRequire(import.meta.url).resolve('@portrait/admin-web/package.json')), 'dist');
    return existsSync(join(root, 'index.html')) ? root : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Serves the built web UI at `/`: its files as they are (hashed assets cached for a year), and
 * index.html for every other GET that is not an API or operator path, so that the UI's own routes
 * (`/w/acme/sources`) load on a reload. Unknown `/admin/api/…` paths still answer the API's
 * problem+json 404.
 */
export async function serveWebUi(app: NestFastifyApplication, root: string): Promise<void> {
  await app.register(fastifyStatic as never, {
    root,
    prefix: '/',
    wildcard: false,
    index: false,
    setHeaders: (res: { setHeader(name: string, value: string): void }, path: string) => {
      res.setHeader('Cache-Control', path.includes(`${join(root, 'assets')}`) ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
  const fastify = app.getHttpAdapter().getInstance();
  const page = async (request: { url: string }, reply: { callNotFound(): void; header(n: string, v: string): unknown; sendFile(file: string): unknown }) => {
    if (NOT_UI.test(request.url)) return reply.callNotFound();
    reply.header('Cache-Control', 'no-cache');
    return reply.sendFile('index.html');
  };
  fastify.get('/', page as never);
  fastify.get('/*', page as never);
}
