// Test fixtures: each Playwright worker starts the release server on a free port against a
// database of its own (created by the server on start-up, dropped afterwards), and every
// test checks that the page logged no console errors.
import { test as base, expect, Page, APIRequestContext } from '@playwright/test';
import { spawn, ChildProcess, execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..');
const bin = process.env.NF_BIN ?? path.join(root, 'target', 'release', 'nexus-forge');
const siteRoot = process.env.NF_SITE_ROOT ?? path.join(root, 'target', 'site');
const pgBase = process.env.NF_E2E_PG ?? 'postgres://postgres@127.0.0.1:5432';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

/** One server process: start, stop (gracefully or by SIGKILL) and start again. */
export class Server {
  proc?: ChildProcess;
  log = '';
  constructor(readonly port: number, readonly database: string, readonly extraEnv: Record<string, string> = {}) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.proc = spawn(bin, [], {
      env: {
        ...process.env,
        DATABASE_URL: `${pgBase}/${this.database}`,
        NF_LISTEN: `127.0.0.1:${this.port}`,
        LEPTOS_SITE_ROOT: siteRoot,
        LEPTOS_ENV: 'PROD',
        NF_LOG: process.env.NF_E2E_LOG ?? 'warn',
        ...this.extraEnv,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.proc.stdout?.on('data', (d) => (this.log += d));
    this.proc.stderr?.on('data', (d) => (this.log += d));
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (this.proc.exitCode !== null) throw new Error(`server exited early:\n${this.log}`);
      try {
        const r = await fetch(`${this.url}/healthz`);
        if (r.ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`server did not become healthy:\n${this.log}`);
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill(signal);
    await exited;
  }
}

export function dropDatabase(name: string): void {
  execFileSync('psql', [`${pgBase}/postgres`, '-qc', `drop database if exists "${name}" with (force)`], { stdio: 'ignore' });
}

export const test = base.extend<{ consoleErrors: string[] }, { server: Server; serverEnv: Record<string, string> }>({
  // Extra environment for the worker's server (a test file sets it with test.use).
  serverEnv: [{}, { scope: 'worker', option: true }],
  server: [
    async ({ serverEnv }, use, workerInfo) => {
      const database = `nf_e2e_${process.pid}_${workerInfo.workerIndex}`;
      dropDatabase(database);
      const server = new Server(await freePort(), database, { NF_OFFLINE_DELAY_MS: '0', ...serverEnv });
      await server.start();
      await use(server);
      await server.stop();
      dropDatabase(database);
    },
    { scope: 'worker' },
  ],
  baseURL: async ({ server }, use) => use(server.url),
  consoleErrors: async ({ page }, use) => {
    const errors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(String(e)));
    await use(errors);
    expect(errors, 'console errors').toEqual([]);
  },
});

/** Starts a build over the API and returns its id. */
export async function startBuild(request: APIRequestContext, baseURL: string, prompt: string): Promise<string> {
  const res = await request.post(`${baseURL}/api/nexus-forge/build`, { data: { prompt } });
  expect(res.status()).toBe(202);
  return (await res.json()).build_id;
}

/** Polls a build until it reaches a terminal status and returns it. */
export async function waitBuild(request: APIRequestContext, baseURL: string, id: string, timeoutMs = 60_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const b = await (await request.get(`${baseURL}/api/nexus-forge/build/${id}`)).json();
    if (['completed', 'failed', 'cancelled'].includes(b.status)) return b;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`build ${id} did not finish`);
}

/** Waits until the page is hydrated and its WebSocket is subscribed. */
export async function waitLive(page: Page): Promise<void> {
  await expect(page.locator('#ws-status')).toHaveText('live');
}

export { expect };
