// The credential's Test button in n8n tells a working setup, a wrong key and an unreachable server apart.
import { freePort } from './support/n8n';
import { useScenario } from './support/scenario';

// No workflows: the tests make their own credentials.
const s = useScenario({ workflows: [] });

/** What the editor does when the builder clicks "Test" on a saved credential. */
async function testCredential(data: { serverUrl: string; apiKey: string }) {
	const credential = await s.n8n.createCredential(`Agent Bridge ${Math.random()}`, 'agentBridgeApi', data);
	const res = await fetch(`${s.instance.url}/rest/credentials/test`, {
		method: 'POST',
		headers: { cookie: s.instance.cookie, 'content-type': 'application/json' },
		body: JSON.stringify({ credentials: { id: credential.id, name: 'Agent Bridge API', type: 'agentBridgeApi', data } }),
	});
	expect(res.status).toBe(200);
	return ((await res.json()) as { data: { status: string; message: string } }).data;
}

test('a right key on a running server passes', async () => {
	expect(await testCredential({ serverUrl: s.server.url, apiKey: s.server.apiKey })).toMatchObject({ status: 'OK' });
}, 30_000);

test('a wrong key is reported as a wrong key', async () => {
	const result = await testCredential({ serverUrl: s.server.url, apiKey: 'ab_wrong_key_000000000000' });
	expect(result.status).toBe('Error');
	expect(result.message).toMatch(/API key/i);
}, 30_000);

test('an unreachable server is reported as a network error, not a key problem', async () => {
	const result = await testCredential({ serverUrl: `http://127.0.0.1:${await freePort()}`, apiKey: s.server.apiKey });
	expect(result.status).toBe('Error');
	expect(result.message).toMatch(/ECONNREFUSED|connect|reach/i);
	expect(result.message).not.toMatch(/API key/i);
}, 30_000);

test("n8n's own address is reported as not an Agent Bridge server", async () => {
	const result = await testCredential({ serverUrl: s.instance.url, apiKey: s.server.apiKey });
	expect(result).toEqual({ status: 'Error', message: expect.stringMatching(/not an Agent Bridge server.*Server URL/) });
}, 30_000);
