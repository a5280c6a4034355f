// Test fixtures: each Playwright worker starts the release server on a free port against a
// database of its own (created by the server on start-up, dropped afterwards), with an admin
// made by `nexus-forge admin create-user` (unless a file opts out with `serverSeed: false`).
// `request` calls the API with that admin's token (`admin create-token`); `page` is signed
// in as the admin (a session cookie from the sign-in server function). Every test checks
// that the page logged no console errors.
import { test as base, expect, Page, APIRequestContext, Browser, BrowserContext, BrowserContextOptions } from '@playwright/test';
import { spawn, ChildProcess, execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import fs from 'node:fs';
import os from 'node:os';
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
  /** The admin's API token, when the server was seeded. */
  token = '';
  constructor(readonly port: number, readonly database: string, readonly extraEnv: Record<string, string> = {}) {}

  /** Runs `nexus-forge admin …` against this server's database; returns its standard output. */
  admin(args: string[]): string {
    return execFileSync(bin, ['admin', ...args], {
      env: { ...process.env, DATABASE_URL: `${pgBase}/${this.database}`, NF_LOG: 'warn' },
      encoding: 'utf8',
    });
  }

  /** Makes an account (the password is written to a file, as an operator would). */
  createUser(username: string, password: string, admin = false): void {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'nf-e2e-')), 'pw');
    fs.writeFileSync(file, `${password}\n`);
    this.admin(['create-user', '--username', username, '--password-file', file, ...(admin ? ['--admin'] : [])]);
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  }

  /** Makes an API token for `username` and returns it. */
  createToken(username: string, name = 'e2e'): string {
    return this.admin(['create-token', '--username', username, '--name', name]).trim();
  }

  /**
   * A session cookie for `username`, from the sign-in server function. The server limits
   * sign-ins per address; a suite that signs in for every test can meet that limit, so a 429
   * waits the time it names and tries again.
   */
  async sessionCookie(username: string, password: string): Promise<{ name: string; value: string; url: string }> {
    let res: Response;
    for (let attempt = 0; ; attempt++) {
      res = await fetch(`${this.url}/api/fn/sign_in`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: this.url },
        body: JSON.stringify({ username, password }),
      });
      if (res.status !== 429 || attempt >= 20) break;
      const body = await res.text();
      const named = res.headers.get('retry-after') ?? /"retry_after_secs":(\d+)/.exec(body)?.[1] ?? '2';
      const wait = Number(named);
      await new Promise((r) => setTimeout(r, Math.max(1, wait) * 1000));
    }
    if (!res.ok) throw new Error(`sign-in failed: ${res.status} ${await res.text()}`);
    const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0];
    const [name, value] = [cookie.slice(0, cookie.indexOf('=')), cookie.slice(cookie.indexOf('=') + 1)];
    return { name, value, url: this.url };
  }

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

/** The admin every seeded server has. */
export const ADMIN = { username: 'admin', password: 'e2e admin password' };

/** A browser context signed in as `username` (the seeded admin by default). */
export async function signedInContext(
  browser: Browser,
  server: Server,
  options: BrowserContextOptions = {},
  who: { username: string; password: string } = ADMIN,
): Promise<BrowserContext> {
  const context = await browser.newContext({ baseURL: server.url, ...options });
  await context.addCookies([await server.sessionCookie(who.username, who.password)]);
  return context;
}

export const test = base.extend<
  { consoleErrors: string[] },
  { server: Server; serverEnv: Record<string, string>; serverSeed: boolean }
>({
  // Extra environment for the worker's server (a test file sets it with test.use).
  serverEnv: [{}, { scope: 'worker', option: true }],
  // Whether the worker's server gets an admin before it starts.
  serverSeed: [true, { scope: 'worker', option: true }],
  server: [
    async ({ serverEnv, serverSeed }, use, workerInfo) => {
      const database = `nf_e2e_${process.pid}_${workerInfo.workerIndex}`;
      dropDatabase(database);
      const server = new Server(await freePort(), database, {
        NF_OFFLINE_DELAY_MS: '0',
        // Every test signs in from 127.0.0.1; the default (10 a minute) is for the internet.
        NF_LOGINS_PER_MINUTE: '600',
        ...serverEnv,
      });
      if (serverSeed) {
        server.createUser(ADMIN.username, ADMIN.password, true);
        server.token = server.createToken(ADMIN.username);
      }
      await server.start();
      await use(server);
      await server.stop();
      dropDatabase(database);
    },
    { scope: 'worker' },
  ],
  baseURL: async ({ server }, use) => use(server.url),
  // The API as the admin, with their token.
  request: async ({ playwright, server }, use) => {
    const ctx = await playwright.request.newContext({
      baseURL: server.url,
      extraHTTPHeaders: server.token ? { authorization: `Bearer ${server.token}` } : {},
    });
    await use(ctx);
    await ctx.dispose();
  },
  // The browser, signed in as the admin (when the server was seeded).
  context: async ({ context, server }, use) => {
    if (server.token) await context.addCookies([await server.sessionCookie(ADMIN.username, ADMIN.password)]);
    await use(context);
  },
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
