import { createApiApp } from '@portrait/api';
import { closeOnSignals, prepareRuntime } from '@portrait/core';

/**
 * The production API on the loopback port BENCH_PORT (a fixed one, so that it can be killed and
 * started again at the same address), for the intake benchmark. Prints `{"url": …}` once it listens.
 */
const runtime = await prepareRuntime('api');
const app = await createApiApp(runtime);
closeOnSignals(app, runtime);
await app.listen(Number(process.env.BENCH_PORT ?? 0), '127.0.0.1');
console.log(JSON.stringify({ url: await app.getUrl() }));
