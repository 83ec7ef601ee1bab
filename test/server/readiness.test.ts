// GET /readyz answers 200 only while the database answers and the delivery relay runs; a load balancer takes an
// instance out while its database is unreachable. The database outage is real: PostgreSQL behind a TCP proxy
// that the test closes and reopens.
import { randomBytes } from 'node:crypto';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { relayReadiness } from '../../agent-server/src/api/system';
import { dropPgSchema } from '../../agent-server/src/store/database';
import { buildTestApp, type TestApp } from '../../agent-server/src/testing/harness';

const PG = new URL(process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test');

/** A TCP proxy to PostgreSQL that can be taken down (closing every open connection) and brought back on its port. */
function pgProxy() {
	let server: Server | undefined;
	const sockets = new Set<Socket>();
	let port = 0;
	const up = () =>
		new Promise<void>((resolve, reject) => {
			if (server) return resolve();
			server = createServer((client) => {
				const upstream = connect(Number(PG.port || 5432), PG.hostname);
				for (const s of [client, upstream]) {
					sockets.add(s);
					s.on('close', () => sockets.delete(s));
					s.on('error', () => undefined);
				}
				client.pipe(upstream).pipe(client);
			});
			server.once('error', reject);
			server.listen(port, '127.0.0.1', () => {
				port = (server!.address() as { port: number }).port;
				resolve();
			});
		});
	const down = () =>
		new Promise<void>((resolve) => {
			for (const s of sockets) s.destroy();
			const closing = server;
			server = undefined;
			closing ? closing.close(() => resolve()) : resolve();
		});
	return { up, down, url: () => `postgres://${PG.username}@127.0.0.1:${port}${PG.pathname}` };
}

async function readyz(t: TestApp) {
	const res = await t.app.inject({ method: 'GET', url: '/readyz' });
	return { status: res.statusCode, body: res.json() as { status: string; checks: Record<string, { ok: boolean; error?: string }> } };
}

describe('GET /readyz', () => {
	it('is ready on SQLite once the relay runs', async () => {
		const t = await buildTestApp({ relay: { pollIntervalMs: 50 } });
		try {
			const { status, body } = await readyz(t);
			expect(status).toBe(200);
			expect(body).toEqual({ status: 'ready', checks: { database: { ok: true }, relay: { ok: true } } });
		} finally {
			await t.close();
		}
	});

	it('fails while the PostgreSQL database is down, and recovers when it is back', async () => {
		const proxy = pgProxy();
		await proxy.up();
		const pgSchema = `t_${randomBytes(6).toString('hex')}`;
		const t = await buildTestApp({ databaseUrl: proxy.url(), pgSchema, relay: { pollIntervalMs: 50 } });
		try {
			expect((await readyz(t)).status).toBe(200);

			await proxy.down();
			const down = await readyz(t);
			expect(down.status).toBe(503);
			expect(down.body.status).toBe('not ready');
			expect(down.body.checks.database.ok).toBe(false);
			expect(down.body.checks.database.error).toBeTruthy();

			await proxy.up();
			// The pool reconnects on the next query; the relay's next pass succeeds within a few polls.
			const deadline = Date.now() + 10_000;
			let back = await readyz(t);
			while (back.status !== 200 && Date.now() < deadline) {
				await new Promise((r) => setTimeout(r, 100));
				back = await readyz(t);
			}
			expect(back.body).toEqual({ status: 'ready', checks: { database: { ok: true }, relay: { ok: true } } });
		} finally {
			await proxy.up(); // the pool's last connections close through it
			await t.close();
			await proxy.down();
			await dropPgSchema(PG.href, pgSchema);
		}
	});

	it('fails while the relay is stopped', async () => {
		const t = await buildTestApp({ relay: { pollIntervalMs: 50 } });
		try {
			await t.app.agentBridge.relay.stop();
			const { status, body } = await readyz(t);
			expect(status).toBe(503);
			expect(body.checks.relay).toEqual({ ok: false, error: 'stopped' });
		} finally {
			await t.close();
		}
	});
});

describe('relay readiness', () => {
	const now = Date.parse('2026-01-01T12:00:00Z');
	it('is not ready when the last pass failed', () => {
		expect(relayReadiness({ running: true, pollIntervalMs: 1000, lastPassAt: new Date(now), lastPassError: 'ECONNREFUSED' }, now)).toEqual({
			ok: false,
			error: 'ECONNREFUSED',
		});
	});
	it('is not ready when no pass ended for a long time (a stuck loop)', () => {
		expect(relayReadiness({ running: true, pollIntervalMs: 1000, lastPassAt: new Date(now - 120_000) }, now)).toEqual({ ok: false, error: 'no pass for 120 s' });
		expect(relayReadiness({ running: true, pollIntervalMs: 1000, lastPassAt: new Date(now - 30_000) }, now)).toEqual({ ok: true });
	});
});
