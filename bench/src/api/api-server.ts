import { createApiApp } from '@portrait/api';
import { closeOnSignals, prepareRuntime } from '@portrait/core';

/**
 * The production API (its own app factory and configuration from the environment, as `main` boots it)
 * on a free loopback port, for the API benchmark to load. Prints `{"url": …}` once it listens and
 * closes on SIGTERM.
 */
const runtime = await prepareRuntime('api');
const app = await createApiApp(runtime);
closeOnSignals(app, runtime);
await app.listen(0, '127.0.0.1');
console.log(JSON.stringify({ url: await app.getUrl() }));
