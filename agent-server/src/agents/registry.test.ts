// The per-workspace agent resolver: merging with file agents, its cache, and what another instance's writes do.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openStore, type Store } from '../store/database';
import { insertStoredAgent, updateStoredAgent } from '../store/agents';
import { testRegistry } from '../testing/harness';
import { bindAgentFolders, type FileAgents } from './file-agents';
import { createAgentResolver } from './registry';

let dir: string;
let store: Store;
beforeEach(async () => {
	dir = mkdtempSync(path.join(tmpdir(), 'agent-bridge-registry-'));
	store = await openStore({ sqliteFile: path.join(dir, 'registry.db') });
});
afterEach(async () => {
	await store.close();
	rmSync(dir, { recursive: true, force: true });
});

/** The test agents as shared file agents, with no workspace folders. */
const sharedOnly = async (): Promise<FileAgents> => (await bindAgentFolders(store.db, { shared: testRegistry(), workspaces: [] })).agents;

const desk = (name: string) => ({ id: 'desk', config: { id: 'desk', name }, idleMinutes: null });

test("merges the file agents with the workspace's own and nobody else's", async () => {
	await insertStoredAgent(store.db, 'ws_a', desk('A desk'));
	await insertStoredAgent(store.db, 'ws_b', desk('B desk'));
	// A stored config a newer schema rejects is left out rather than half applied.
	await insertStoredAgent(store.db, 'ws_a', { id: 'broken', config: { id: 'broken' }, idleMinutes: null });
	const resolver = createAgentResolver(await sharedOnly(), store.db);
	const a = await resolver.forWorkspace('ws_a');
	expect(a.list().map((x) => x.id)).toEqual(['test-agent', 'other-agent', 'desk']);
	expect(a.get('desk')?.name).toBe('A desk');
	expect([a.source('desk'), a.source('test-agent'), a.source('broken')]).toEqual(['api', 'file', undefined]);
	expect((await resolver.forWorkspace('ws_c')).get('desk')).toBeUndefined();
});

test('reuses a workspace read until told of a write, or until the time limit for writes made elsewhere', async () => {
	await insertStoredAgent(store.db, 'ws_a', desk('v1'));
	const here = createAgentResolver(await sharedOnly(), store.db, { ttlMs: 60_000 });
	const quick = createAgentResolver(await sharedOnly(), store.db, { ttlMs: 0 });
	expect((await here.forWorkspace('ws_a')).get('desk')?.name).toBe('v1');
	expect((await quick.forWorkspace('ws_a')).get('desk')?.name).toBe('v1');

	await updateStoredAgent(store.db, 'ws_a', desk('v2'));
	expect((await here.forWorkspace('ws_a')).get('desk')?.name).toBe('v1');
	expect((await quick.forWorkspace('ws_a')).get('desk')?.name).toBe('v2');
	here.changed('ws_a');
	expect((await here.forWorkspace('ws_a')).get('desk')?.name).toBe('v2');
});

test('a caller inside a transaction reads through it instead of waiting on the shared handle', async () => {
	await insertStoredAgent(store.db, 'ws_a', desk('v1'));
	const resolver = createAgentResolver(await sharedOnly(), store.db);
	const name = await store.db.transaction().execute(async (trx) => (await resolver.forWorkspace('ws_a', trx)).get('desk')?.name);
	expect(name).toBe('v1');
});
