// Test helpers: an app on a temporary SQLite file with a known API key, a scriptable stub engine, a small agent
// registry, a local HTTP receiver for webhook deliveries, and an app-plus-receiver pair for relay tests.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildApp, type BuildAppOptions } from '../app';
import { AgentConfig, type AgentRegistry } from '../engine/agent-config';
import { dropPgSchema } from '../store/database';
import type { Engine, TurnInput, TurnOutcome } from '../engine/types';

export const TEST_API_KEY = 'ab_test_key_0123456789';

export const TEST_AGENT = AgentConfig.parse({
	id: 'test-agent',
	name: 'Test Agent',
	description: 'An agent for tests',
	fields: [
		{ name: 'budget', question: 'Budget?', mapsTo: 'custom_field.budget_range', extract: { kind: 'amount' } },
		{ name: 'email', question: 'Email?', mapsTo: 'contact.email', required: false, extract: { kind: 'email' } },
	],
	intents: [{ name: 'book_call', keywords: ['book'] }],
	actions: [
		{ id: 'lead_scoring', name: 'Lead Scoring', condition: { fieldsProvided: ['budget'] } },
		{ id: 'booked', name: 'Booked', condition: { intent: ['book_call'] } },
	],
	tagRules: [{ tag: 'interested_pricing', keywords: ['price'] }],
});

export const OTHER_AGENT = AgentConfig.parse({ id: 'other-agent', name: 'Other Agent', channels: ['web'] });

export function testRegistry(agents = [TEST_AGENT, OTHER_AGENT]): AgentRegistry {
	const byId = new Map(agents.map((a) => [a.id, a]));
	return { list: () => [...agents], get: (id) => byId.get(id) };
}

/**
 * A deterministic engine: "fire:<actionId>" in a message fires that action, "budget:<value>" collects the budget
 * (and writes custom field budget_range), "email:<value>" sets the contact's email. Every call is recorded.
 */
export function stubEngine(overrides: Partial<Engine> = {}): Engine & { turns: TurnInput[] } {
	const turns: TurnInput[] = [];
	return {
		kind: 'offline',
		turns,
		async runTurn(input: TurnInput): Promise<TurnOutcome> {
			turns.push(input);
			const budget = /budget:(\S+)/.exec(input.message)?.[1];
			const email = /email:(\S+)/.exec(input.message)?.[1];
			return {
				reply: `You said: ${input.message}`,
				collected: budget ? { budget } : {},
				contactUpdates: { standard: email ? { email } : {}, custom: budget ? { budget_range: budget } : {} },
				intent: null,
				sentiment: 'neutral',
				summary: `turn ${input.conversation.turn}`,
				actions: input.agent.actions.map((a) => {
					const fired = input.message.includes(`fire:${a.id}`) && !input.conversation.firedActions.includes(a.id);
					return { actionId: a.id, name: a.name, fired, reason: fired ? `asked for ${a.id}` : `no fire:${a.id}` };
				}),
				modelCalls: 0,
			};
		},
		async scoreLead() {
			return { score: 8, rationale: 'budget and timeline given', confidence: 0.75 };
		},
		async composeMessage(input) {
			return { text: `(composed) ${input.instructions}`, modelCalls: 0 };
		},
		...overrides,
	};
}

export interface TestApp {
	app: FastifyInstance;
	apiKey: string;
	dir: string;
	/** The database the app runs on, for a second app on the same data (start-up checks, other instances). */
	database: Pick<BuildAppOptions, 'sqliteFile' | 'databaseUrl' | 'pgSchema'>;
	/** Authorized inject helper. */
	call(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, body?: unknown, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
	close(): Promise<void>;
}

/**
 * The database a test app runs on: a fresh SQLite file, or with AGENT_BRIDGE_TEST_DATABASE=postgres a fresh schema in
 * the test PostgreSQL (the whole server suite runs on both).
 */
function testDatabase(dir: string): { options: BuildAppOptions; drop(): Promise<void> } {
	if (process.env.AGENT_BRIDGE_TEST_DATABASE !== 'postgres') return { options: { sqliteFile: path.join(dir, 'test.db') }, drop: async () => {} };
	const databaseUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
	const pgSchema = `t_${randomBytes(6).toString('hex')}`;
	return { options: { databaseUrl, pgSchema }, drop: () => dropPgSchema(databaseUrl, pgSchema) };
}

export async function buildTestApp(options: BuildAppOptions = {}): Promise<TestApp> {
	const dir = mkdtempSync(path.join(tmpdir(), 'agent-bridge-test-'));
	const apiKey = options.apiKey ?? TEST_API_KEY;
	const given = { sqliteFile: options.sqliteFile, databaseUrl: options.databaseUrl, pgSchema: options.pgSchema };
	const database = options.sqliteFile || options.databaseUrl ? { options: given, drop: async () => {} } : testDatabase(dir);
	const app = await buildApp({
		...database.options,
		agents: testRegistry(),
		engine: stubEngine(),
		relay: { enabled: false },
		...options,
		apiKey,
	});
	await app.ready();
	return {
		app,
		apiKey,
		dir,
		database: database.options,
		call: (method, url, body, headers = {}) =>
			app.inject({
				method,
				url,
				headers: { authorization: `Bearer ${apiKey}`, ...headers },
				...(body !== undefined ? { payload: body as object } : {}),
			}),
		async close() {
			await app.close();
			await database.drop();
			rmSync(dir, { recursive: true, force: true });
		},
	};
}

export interface ReceivedRequest {
	method: string;
	url: string;
	headers: IncomingHttpHeaders;
	body: string;
}

/**
 * A local webhook receiver; `respond` picks the status for each request (default 200). Probes (OPTIONS, which the
 * relay sends to a destination that looks down) are kept apart in `probes`, answered by `respond` too, or 204 when
 * it answers 2xx, as n8n answers for a registered webhook.
 */
export async function startReceiver(respond: (req: ReceivedRequest, index: number) => number = () => 200) {
	const received: ReceivedRequest[] = [];
	const probes: ReceivedRequest[] = [];
	const waiters: { count: number; resolve: () => void }[] = [];
	const server = createServer((req, res) => {
		const chunks: Buffer[] = [];
		req.on('data', (c: Buffer) => chunks.push(c));
		req.on('end', () => {
			const entry = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
			if (entry.method === 'OPTIONS') {
				const status = respond(entry, received.length);
				probes.push(entry);
				res.writeHead(status >= 200 && status < 300 ? 204 : status).end();
				return;
			}
			const status = respond(entry, received.length);
			received.push(entry);
			res.writeHead(status, { 'content-type': 'application/json' }).end('{}');
			for (const w of waiters.filter((x) => received.length >= x.count)) {
				waiters.splice(waiters.indexOf(w), 1);
				w.resolve();
			}
		});
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as AddressInfo;
	return {
		url: `http://127.0.0.1:${port}/webhook`,
		received,
		probes,
		/** Resolves once `count` requests have arrived (rejects after timeoutMs). */
		waitFor(count: number, timeoutMs = 5000): Promise<void> {
			if (received.length >= count) return Promise.resolve();
			return new Promise((resolve, reject) => {
				const timer = setTimeout(() => reject(new Error(`receiver got ${received.length} of ${count} requests`)), timeoutMs);
				waiters.push({ count, resolve: () => (clearTimeout(timer), resolve()) });
			});
		},
		close: () => new Promise<void>((resolve) => server.close(() => resolve())),
	};
}

export type Receiver = Awaited<ReturnType<typeof startReceiver>>;

/**
 * Polls `check` until it holds; rejects after timeoutMs, naming `what` when given. The default is generous: it says when
 * to give up on a busy machine, never how fast something must be.
 */
export async function waitUntil(check: () => Promise<boolean> | boolean, timeoutMs = 20_000, what?: string): Promise<void> {
	const end = Date.now() + timeoutMs;
	while (Date.now() < end) {
		if (await check()) return;
		await new Promise((r) => setTimeout(r, 20));
	}
	throw new Error(what ? `timed out waiting for ${what}` : 'condition not met in time');
}

export interface RelayApp {
	/** The app of the running test (after start). */
	readonly t: TestApp;
	/** The receiver of the running test (after start). */
	readonly receiver: Receiver;
	/** Starts a receiver and an app whose relay polls every 20 ms, so deliveries show up within a test. */
	start(respond?: Parameters<typeof startReceiver>[0], options?: BuildAppOptions): Promise<void>;
}

/** Registers closing the app and the receiver after each test; the test starts them with `start`. */
export function useRelayApp(): RelayApp {
	let t: TestApp | undefined;
	let receiver: Receiver | undefined;
	afterEach(async () => {
		await t?.close();
		await receiver?.close();
		t = undefined;
		receiver = undefined;
	});
	return {
		get t() {
			if (!t) throw new Error('useRelayApp: start() first');
			return t;
		},
		get receiver() {
			if (!receiver) throw new Error('useRelayApp: start() first');
			return receiver;
		},
		async start(respond, options = {}) {
			receiver = await startReceiver(respond);
			t = await buildTestApp({ ...options, relay: { pollIntervalMs: 20, ...options.relay } });
		},
	};
}
