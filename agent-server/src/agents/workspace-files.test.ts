// Agent files per workspace (AGENTS_DIR/workspaces/<id or name>/): visible to that workspace only, read-only over the
// API, overriding shared files of the same id, checked at start; and the `agents validate` command.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildApp, type BuildAppOptions } from '../app';
import { BUNDLED_AGENTS_DIR } from './agent-files';
import { createOfflineEngine } from '../engine/offline';
import { addApiKey, createWorkspace } from '../store/workspaces';
import { buildTestApp, type TestApp } from '../testing/harness';
import { validateAgentsDir } from './validate';

const OTHER_KEY = 'ab_other_workspace_key';
const REPO_ROOT = path.join(__dirname, '..', '..', '..');

/** A desk agent as an agency would keep it in a file: one field whose question shows which file answered. */
const desk = (id: string, question: string) => `id: ${id}
name: ${id}
fields:
  - name: email
    question: ${question}
    mapsTo: contact.email
    extract: { kind: email }
`;

/** Writes `files` (relative path -> text) into a fresh folder. */
function agentsDir(files: Record<string, string>): string {
	const dir = mkdtempSync(path.join(tmpdir(), 'agent-bridge-agents-'));
	for (const [name, text] of Object.entries(files)) {
		mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
		writeFileSync(path.join(dir, name), text);
	}
	return dir;
}

const dirs: string[] = [];
function tempAgents(files: Record<string, string>): string {
	const dir = agentsDir(files);
	dirs.push(dir);
	return dir;
}
afterAll(() => {
	for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Files only from `dir` (no bundled examples, no test registry), on the offline engine. */
const fromFiles = (dir: string): BuildAppOptions => ({ agents: undefined, agentsDir: dir, bundledAgents: false, engine: createOfflineEngine() });

describe('on a server', () => {
	let t: TestApp;
	let logs: string[];
	const other = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, body?: object) =>
		t.app.inject({ method, url, headers: { authorization: `Bearer ${OTHER_KEY}` }, ...(body ? { payload: body } : {}) });
	const ids = (res: { json(): { data: { id: string; source: string }[] } }) => res.json().data.map((a) => `${a.id}:${a.source}`);

	beforeEach(async () => {
		logs = [];
		// "Default workspace" is the first workspace of a fresh database: its folder is matched by name.
		const dir = tempAgents({
			'shared-desk.yaml': desk('shared-desk', 'Shared question?'),
			'workspaces/Default workspace/acme-desk.yaml': desk('acme-desk', 'Acme question?'),
			'workspaces/Default workspace/shared-desk.yml': desk('shared-desk', 'Acme variant question?'),
			'workspaces/Later Client/later-desk.json': JSON.stringify({ id: 'later-desk', name: 'Later' }),
		});
		t = await buildTestApp({
			...fromFiles(dir),
			conversations: { sweepIntervalMs: 0 },
			logger: { level: 'warn', stream: { write: (line: string) => logs.push(line) } },
		});
		const ws = await createWorkspace(t.app.agentBridge.store.db, 'Other');
		await addApiKey(t.app.agentBridge.store.db, ws.id, OTHER_KEY);
	});
	afterEach(() => t.close());

	test("a workspace folder's agents are file agents of that workspace only; another workspace gets 404 everywhere", async () => {
		expect(ids(await t.call('GET', '/v1/agents'))).toEqual(['acme-desk:file', 'shared-desk:file']);
		expect(ids(await other('GET', '/v1/agents'))).toEqual(['shared-desk:file']);
		expect((await t.call('GET', '/v1/agents/acme-desk')).json()).toMatchObject({ id: 'acme-desk', source: 'file' });

		const chat = await t.call('POST', '/v1/chat', { agentId: 'acme-desk', text: 'Hello' });
		expect(chat.statusCode).toBe(200);
		expect(chat.json().reply.text).toContain('Acme question?');

		for (const [method, url, body] of [
			['GET', '/v1/agents/acme-desk', undefined],
			['PUT', '/v1/agents/acme-desk', { name: 'Mine' }],
			['DELETE', '/v1/agents/acme-desk', undefined],
			['POST', '/v1/chat', { agentId: 'acme-desk', text: 'Hello' }],
		] as const) {
			const res = await other(method, url, body);
			expect([method, url, res.statusCode, res.json().message]).toEqual([method, url, 404, 'agent acme-desk not found']);
		}
		// The id is free in other workspaces.
		expect((await other('POST', '/v1/agents', { id: 'acme-desk', name: 'Their desk' })).statusCode).toBe(201);
	});

	test("a workspace folder's agents are read-only over the API: PUT, DELETE and POST with their id are 409s", async () => {
		const message = 'agent acme-desk is defined in a file; change it in version control';
		const put = await t.call('PUT', '/v1/agents/acme-desk', { name: 'Mine now' });
		expect([put.statusCode, put.json().message]).toEqual([409, message]);
		const del = await t.call('DELETE', '/v1/agents/acme-desk');
		expect([del.statusCode, del.json().message]).toEqual([409, message]);
		const post = await t.call('POST', '/v1/agents', { id: 'acme-desk', name: 'Again' });
		expect(post.statusCode).toBe(409);
		expect(post.json().message).toContain(message);
		expect(await t.app.agentBridge.store.db.selectFrom('workspace_agents').selectAll().execute()).toEqual([]);
	});

	test("a folder agent with a shared agent's id replaces it for its workspace only", async () => {
		const ours = await t.call('POST', '/v1/chat', { agentId: 'shared-desk', text: 'Hello' });
		expect(ours.json().reply.text).toContain('Acme variant question?');
		const theirs = await other('POST', '/v1/chat', { agentId: 'shared-desk', text: 'Hello' });
		expect(theirs.json().reply.text).toContain('Shared question?');
		const put = await t.call('PUT', '/v1/agents/shared-desk', { name: 'Mine now' });
		expect(put.statusCode).toBe(409);
	});

	test('a folder naming no workspace is a warning at start, and its agents serve nobody', async () => {
		const warning = logs.map((line) => JSON.parse(line)).find((l) => l.folder?.endsWith(path.join('workspaces', 'Later Client')));
		expect(warning).toMatchObject({ level: 40, agents: ['later-desk'], msg: expect.stringContaining('names no workspace') });
		expect((await t.call('GET', '/v1/agents/later-desk')).statusCode).toBe(404);
	});

	test('a folder named by the workspace id is matched on the next start, with the workspace created meanwhile', async () => {
		const otherId = (await other('GET', '/v1/workspace')).json().id as string;
		const dir = tempAgents({ [`workspaces/${otherId}/other-desk.yaml`]: desk('other-desk', 'Other question?') });
		const next = await buildApp({ ...t.database, ...fromFiles(dir) });
		try {
			const res = await next.inject({ method: 'GET', url: '/v1/agents', headers: { authorization: `Bearer ${OTHER_KEY}` } });
			expect(ids(res)).toEqual(['other-desk:file']);
		} finally {
			await next.close();
		}
	});

	test('start refuses a folder that names two workspaces, or two folders naming one workspace', async () => {
		await createWorkspace(t.app.agentBridge.store.db, 'Twin');
		await createWorkspace(t.app.agentBridge.store.db, 'Twin');
		const twins = tempAgents({ 'workspaces/Twin/a.yaml': desk('a', 'A?') });
		await expect(buildApp({ ...t.database, ...fromFiles(twins) })).rejects.toThrow(
			new RegExp(`${escape(path.join(twins, 'workspaces', 'Twin'))}: names more than one workspace \\(ws_\\S+ "Twin", ws_\\S+ "Twin"\\); name the folder by the workspace id`),
		);

		const otherId = (await other('GET', '/v1/workspace')).json().id as string;
		const both = tempAgents({ 'workspaces/Other/a.yaml': desk('a', 'A?'), [`workspaces/${otherId}/b.yaml`]: desk('b', 'B?') });
		await expect(buildApp({ ...t.database, ...fromFiles(both) })).rejects.toThrow(`names workspace ${otherId} "Other", as`);
	});

	test("start refuses a folder agent whose id the workspace already uses over the API, naming the file", async () => {
		expect((await other('POST', '/v1/agents', { id: 'quote-desk', name: 'Quote Desk' })).statusCode).toBe(201);
		const dir = tempAgents({ 'workspaces/Other/quote.yaml': desk('quote-desk', 'Quote?') });
		await expect(buildApp({ ...t.database, ...fromFiles(dir) })).rejects.toThrow(
			`${path.join(dir, 'workspaces', 'Other', 'quote.yaml')}: id: workspace ws_`,
		);
		await expect(buildApp({ ...t.database, ...fromFiles(dir) })).rejects.toThrow(
			'"Other" already has an agent "quote-desk" created over the API; delete it (DELETE /v1/agents/quote-desk) or give the file\'s agent another id',
		);
	});
});

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const BAD_MAPS_TO = desk('bad-desk', 'Q?').replace('contact.email', 'contact.mail');

describe('validation', () => {
	test('an invalid file in a workspace folder stops the start with a message naming the file and the path', async () => {
		const dir = tempAgents({ 'workspaces/acme/bad.yaml': BAD_MAPS_TO });
		await expect(buildTestApp(fromFiles(dir))).rejects.toThrow(
			`${path.join(dir, 'workspaces', 'acme', 'bad.yaml')}: fields.0.mapsTo: must be contact.first_name`,
		);
	});

	test('validateAgentsDir lists every problem of shared and workspace files, one line each, or sums up a valid folder', () => {
		const bad = tempAgents({
			'shared.yaml': 'id: Shared\nname: Shared\n',
			'workspaces/loose.yaml': desk('loose', 'Q?'),
			'workspaces/acme/bad.yaml': BAD_MAPS_TO,
			'workspaces/acme/one.yaml': desk('twice', 'Q?'),
			'workspaces/acme/two.yaml': desk('twice', 'Q?'),
			'workspaces/acme/lead.yaml': desk('lead-qualifier', 'Q?'),
		});
		const { problems } = validateAgentsDir(bad);
		const at = (...parts: string[]) => path.join(bad, ...parts);
		expect(problems).toEqual([
			`${at('shared.yaml')}: id: use lowercase letters, digits, "-" and "_" (e.g. lead-qualifier)`,
			`${at('workspaces', 'loose.yaml')}: put it in ${at('workspaces')}/<workspace id or name>/, or at the top level to share it`,
			`${at('workspaces', 'acme', 'bad.yaml')}: fields.0.mapsTo: must be contact.first_name, contact.last_name, contact.name, contact.email, contact.phone or custom_field.<name>`,
			`${at('workspaces', 'acme', 'two.yaml')}: id: duplicate agent id "twice" (also in ${at('workspaces', 'acme', 'one.yaml')})`,
		]);

		// A workspace folder may reuse a shared id (here a bundled one); a shared file may not.
		const good = tempAgents({ 'shared.yaml': desk('shared', 'Q?'), 'workspaces/acme/lead.yaml': desk('lead-qualifier', 'Q?') });
		expect(validateAgentsDir(good)).toEqual({ problems: [], summary: `${good}: ok, 5 shared agents (bundled included), 1 agents in 1 workspace folders` });
		expect(validateAgentsDir(tempAgents({ 'lead.yaml': desk('lead-qualifier', 'Q?') })).problems).toEqual([
			expect.stringMatching(/lead\.yaml: id: duplicate agent id "lead-qualifier" \(also in agents\/lead-qualifier\.yaml\)$/),
		]);
	});

	test('the bundled agents are valid', () => {
		expect(validateAgentsDir(BUNDLED_AGENTS_DIR)).toEqual({ problems: [], summary: expect.stringContaining(': ok, 4 shared agents') });
	});
});

describe('agent-bridge agents validate', () => {
	const run = (...args: string[]) =>
		spawnSync('npx', ['tsx', 'agent-server/src/main.ts', 'agents', 'validate', ...args], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000 });

	test('exits 0 with a one-line summary for a valid folder, and 1 with one line per problem otherwise', () => {
		const ok = run(tempAgents({ 'workspaces/acme/desk.yaml': desk('desk', 'Q?') }));
		expect([ok.status, ok.stdout.trim().split('\n')]).toEqual([0, [expect.stringContaining(': ok, 4 shared agents (bundled included), 1 agents in 1 workspace folders')]]);

		const dir = tempAgents({ 'workspaces/acme/bad.yaml': BAD_MAPS_TO });
		const bad = run(dir);
		expect(bad.status).toBe(1);
		expect(bad.stdout).toBe('');
		expect(bad.stderr).toContain(`${path.join(dir, 'workspaces', 'acme', 'bad.yaml')}: fields.0.mapsTo: must be contact.first_name`);
	});

	test('passes on the bundled agents', () => {
		const res = run('agent-server/agents');
		expect([res.status, res.stdout]).toEqual([0, 'agent-server/agents: ok, 4 shared agents (bundled included), 0 agents in 0 workspace folders\n']);
	});
});

describe('agent-bridge create-workspace', () => {
	test('refuses a name another workspace has, so that a folder name means one workspace', () => {
		const dir = tempAgents({});
		const create = () =>
			spawnSync('npx', ['tsx', 'agent-server/src/main.ts', 'create-workspace', '--name', 'Acme', '--sqlite-file', path.join(dir, 'ws.db')], {
				cwd: REPO_ROOT,
				encoding: 'utf8',
				timeout: 60_000,
				env: { ...process.env, DATABASE_URL: '' },
			});
		const first = create();
		expect([first.status, first.stdout]).toEqual([0, expect.stringMatching(/^workspace ws_\S+ "Acme"\n/)]);
		const second = create();
		expect(second.status).toBe(1);
		expect(second.stderr).toMatch(/agent-bridge: a workspace named "Acme" already exists \(ws_\S+\); workspace names are unique/);
	});
});
