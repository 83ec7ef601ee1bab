// Store tests run on SQLite and on PostgreSQL. PostgreSQL is skipped when unreachable, except under CI where it must run.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { deleteStoredAgent, getStoredAgent, insertStoredAgent, listStoredAgents, shortestIdleMinutes, updateStoredAgent } from './agents';
import { getContact, insertContact, updateContact } from './contacts';
import { addTimeline, insertConversation, insertMessage, listMessages, listTimeline } from './conversations';
import { dropPgSchema, migrate, openStore, type Store } from './database';
import { claimDueDeliveries, finishAttempt, insertEvent, type EventEnvelope } from './outbox';
import { createSubscription, deleteSubscription } from './subscriptions';
import { bootstrap, findWorkspaceByApiKey } from './workspaces';

const PG_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

function pgReachable(): boolean {
	const probe = `const {Client}=require('pg');const c=new Client({connectionString:process.argv[1],connectionTimeoutMillis:3000});c.connect().then(()=>c.end()).then(()=>process.exit(0),()=>process.exit(1));`;
	const result = spawnSync(process.execPath, ['-e', probe, PG_URL], { timeout: 8000, cwd: __dirname });
	return result.status === 0;
}

const runPg = !!process.env.CI || pgReachable();

type Target = { name: string; open(): Promise<Store>; cleanup(): Promise<void> };

const sqliteTarget = (): Target => {
	let dir = '';
	return {
		name: 'sqlite',
		open: async () => {
			dir = mkdtempSync(path.join(tmpdir(), 'agent-bridge-store-'));
			return openStore({ sqliteFile: path.join(dir, 'store.db') });
		},
		cleanup: async () => rmSync(dir, { recursive: true, force: true }),
	};
};

const pgTarget = (): Target => {
	const schema = `test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
	return {
		name: 'postgres',
		open: () => openStore({ databaseUrl: PG_URL, pgSchema: schema }),
		cleanup: () => dropPgSchema(PG_URL, schema),
	};
};

const targets: [string, () => Target, boolean][] = [
	['sqlite', sqliteTarget, true],
	['postgres', pgTarget, runPg],
];

for (const [name, makeTarget, enabled] of targets) {
	(enabled ? describe : describe.skip)(`store on ${name}`, () => {
		let target: Target;
		let store: Store;
		let ws: string;

		beforeAll(async () => {
			target = makeTarget();
			store = await target.open();
			ws = (await bootstrap(store.db, 'ab_store_test_key')).workspace.id;
		});
		afterAll(async () => {
			await store?.close();
			await target?.cleanup();
		});

		it('migrates idempotently and bootstraps once', async () => {
			await migrate(store.db);
			const again = await bootstrap(store.db, 'ab_store_test_key');
			expect(again.workspace.id).toBe(ws);
			expect(again.generatedKey).toBeUndefined();
			expect((await findWorkspaceByApiKey(store.db, 'ab_store_test_key'))?.id).toBe(ws);
			expect(await findWorkspaceByApiKey(store.db, 'wrong')).toBeUndefined();
		});

		it('stores contacts with custom fields and tags, scoped to the workspace', async () => {
			const contact = await insertContact(store.db, ws, { standard: { firstName: 'Dana' } });
			const updated = await updateContact(store.db, ws, contact.id, { standard: { email: 'd@example.com' }, custom: { score: 9, ok: true, note: 'x' } });
			expect(updated?.customFields).toEqual({ score: 9, ok: true, note: 'x' });
			const loaded = await getContact(store.db, ws, contact.id);
			expect(loaded).toMatchObject({ firstName: 'Dana', email: 'd@example.com', customFields: { score: 9, ok: true, note: 'x' }, tags: [] });
			expect(await getContact(store.db, 'ws_other', contact.id)).toBeUndefined();
		});

		it('keeps messages and timeline in insertion order', async () => {
			const contact = await insertContact(store.db, ws);
			const conv = await insertConversation(store.db, ws, { agentId: 'a', contactId: contact.id, channel: 'api' });
			for (let i = 0; i < 20; i++) await insertMessage(store.db, ws, conv.id, { role: i % 2 ? 'agent' : 'contact', source: 'api', text: `m${i}` });
			expect((await listMessages(store.db, ws, conv.id)).map((m) => m.text)).toEqual(Array.from({ length: 20 }, (_, i) => `m${i}`));
			await addTimeline(store.db, ws, conv.id, 'handoff', { n: 1 });
			await addTimeline(store.db, ws, conv.id, 'message', { n: 2 });
			expect((await listTimeline(store.db, ws, conv.id)).map((e) => e.kind)).toEqual(['handoff', 'message']);
		});

		it('rolls a transaction back completely', async () => {
			const before = await store.db.selectFrom('contacts').select('id').execute();
			await expect(
				store.db.transaction().execute(async (trx) => {
					await insertContact(trx, ws);
					throw new Error('boom');
				}),
			).rejects.toThrow('boom');
			expect(await store.db.selectFrom('contacts').select('id').execute()).toEqual(before);
		});

		it('claims each due delivery once, even with concurrent claimers', async () => {
			const sub = await createSubscription(store.db, ws, { url: 'http://127.0.0.1:9/claim', events: ['contact.tag.added'] });
			for (let i = 0; i < 10; i++) {
				const envelope: EventEnvelope = {
					id: `evt_claim_${i}`,
					type: 'contact.tag.added',
					version: 1,
					createdAt: new Date().toISOString(),
					workspaceId: ws,
					causation: { depth: 0, parentEventId: null },
					agent: null,
					conversation: null,
					contact: null,
					tag: `t${i}`,
				};
				expect(await insertEvent(store.db, ws, envelope)).toBe(1);
			}
			const claim = () => claimDueDeliveries(store.db, { now: new Date(), leaseMs: 60_000, limit: 10, capacity: () => 10 });
			const results = await Promise.all([claim(), claim(), claim()]);
			const ids = results.flat().map((d) => d.id);
			expect(ids).toHaveLength(10);
			expect(new Set(ids).size).toBe(10);
			// Leased rows are not due again until the lease runs out.
			expect(await claim()).toEqual([]);
			const later = await claimDueDeliveries(store.db, { now: new Date(Date.now() + 120_000), leaseMs: 60_000, limit: 10, capacity: () => 3 });
			expect(later).toHaveLength(3);
			// A stale lease holder cannot overwrite the new holder's row.
			const stale = results.flat().find((d) => d.id === later[0].id)!;
			expect(await finishAttempt(store.db, stale, { status: 'delivered', attempts: 1, nextAttemptAt: new Date().toISOString(), error: null, statusCode: 200 })).toBe(false);
			expect(await finishAttempt(store.db, later[0], { status: 'delivered', attempts: 1, nextAttemptAt: new Date().toISOString(), error: null, statusCode: 200 })).toBe(true);
			// Deleting the subscription closes what is still pending.
			expect(await deleteSubscription(store.db, ws, sub.id)).toBe(true);
			const rows = await store.db.selectFrom('deliveries').select(['status']).where('subscription_id', '=', sub.id).execute();
			expect(rows.filter((r) => r.status === 'delivered')).toHaveLength(1);
			expect(rows.filter((r) => r.status === 'failed')).toHaveLength(9);
		});

		it('keeps workspace agents unique per workspace, with the shortest idle timeout across all', async () => {
			const config = { id: 'desk', name: 'Desk' };
			expect(await insertStoredAgent(store.db, ws, { id: 'desk', config, idleMinutes: 2.5 })).toMatchObject({ id: 'desk', config });
			expect(await insertStoredAgent(store.db, ws, { id: 'desk', config: { ...config, name: 'Again' }, idleMinutes: null })).toBeUndefined();
			expect(await insertStoredAgent(store.db, 'ws_other', { id: 'desk', config, idleMinutes: 0.5 })).toBeDefined();
			expect(await shortestIdleMinutes(store.db)).toBe(0.5);

			const updated = await updateStoredAgent(store.db, ws, { id: 'desk', config: { ...config, name: 'Desk 2' }, idleMinutes: null });
			expect(updated?.config).toEqual({ ...config, name: 'Desk 2' });
			expect(await updateStoredAgent(store.db, ws, { id: 'nobody', config, idleMinutes: null })).toBeUndefined();
			expect((await listStoredAgents(store.db, ws)).map((a) => a.config.name)).toEqual(['Desk 2']);
			expect((await getStoredAgent(store.db, 'ws_other', 'desk'))?.config.name).toBe('Desk');

			expect(await deleteStoredAgent(store.db, 'ws_other', 'desk')).toBe(true);
			expect(await deleteStoredAgent(store.db, 'ws_other', 'desk')).toBe(false);
			expect(await shortestIdleMinutes(store.db)).toBeUndefined();
			expect(await getStoredAgent(store.db, ws, 'desk')).toBeDefined();
		});
	});
}
