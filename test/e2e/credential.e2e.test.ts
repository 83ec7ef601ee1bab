// The credential's Test button in n8n tells a working setup, a wrong key and an unreachable server apart.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { RunningAgentServer, startAgentServer } from './support/agent-server';
import { e2eDir, freePort, N8nApi } from './support/n8n';

const { n8n: n8nState } = JSON.parse(readFileSync(path.join(e2eDir, 'state.json'), 'utf8'));
const n8n = new N8nApi(n8nState);
let server: RunningAgentServer;

beforeAll(async () => {
	server = await startAgentServer();
}, 60_000);
afterAll(async () => {
	await server?.stop();
});

/** What the editor does when the builder clicks "Test" on a saved credential. */
async function testCredential(data: { serverUrl: string; apiKey: string }) {
	const credential = await n8n.createCredential(`Agent Bridge ${Math.random()}`, 'agentBridgeApi', data);
	const res = await fetch(`${n8nState.url}/rest/credentials/test`, {
		method: 'POST',
		headers: { cookie: n8nState.cookie, 'content-type': 'application/json' },
		body: JSON.stringify({ credentials: { id: credential.id, name: 'Agent Bridge API', type: 'agentBridgeApi', data } }),
	});
	expect(res.status).toBe(200);
	return ((await res.json()) as { data: { status: string; message: string } }).data;
}

test('a right key on a running server passes', async () => {
	expect(await testCredential({ serverUrl: server.url, apiKey: server.apiKey })).toMatchObject({ status: 'OK' });
}, 30_000);

test('a wrong key is reported as a wrong key', async () => {
	const result = await testCredential({ serverUrl: server.url, apiKey: 'ab_wrong_key_000000000000' });
	expect(result.status).toBe('Error');
	expect(result.message).toMatch(/API key/i);
}, 30_000);

test('an unreachable server is reported as a network error, not a key problem', async () => {
	const result = await testCredential({ serverUrl: `http://127.0.0.1:${await freePort()}`, apiKey: server.apiKey });
	expect(result.status).toBe('Error');
	expect(result.message).toMatch(/ECONNREFUSED|connect|reach/i);
	expect(result.message).not.toMatch(/API key/i);
}, 30_000);
