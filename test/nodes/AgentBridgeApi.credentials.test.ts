import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ICredentialTestRequest, IAuthenticateGeneric } from 'n8n-workflow';
import { AgentBridgeApi } from '../../credentials/AgentBridgeApi.credentials';
import { buildTestApp, type TestApp } from '../../agent-server/src/testing/harness';

/** A value at a dotted path, as lodash's get (n8n's tester uses it for responseSuccessBody rules). */
const valueAt = (data: unknown, key: string) =>
	key.split('.').reduce<unknown>((v, part) => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[part] : undefined), data);

/**
 * What n8n's Test button does with a credential's `test`: send the request with the credential's headers; an error
 * status is matched against the responseCode rules (else "Received HTTP status code"); a 2xx answer is matched against
 * the responseSuccessBody rules, which fail the test when the body's value at `key` equals `value`.
 */
async function runCredentialTest(credential: AgentBridgeApi, data: { serverUrl: string; apiKey: string }) {
	const test = credential.test as ICredentialTestRequest;
	const request = test.request;
	expect(request.baseURL).toBe('={{$credentials.serverUrl}}');
	const headers = (credential.authenticate as IAuthenticateGeneric).properties.headers ?? {};
	const auth = String(headers.Authorization).replace('={{$credentials.apiKey}}', data.apiKey).replace('=Bearer {{$credentials.apiKey}}', `Bearer ${data.apiKey}`);
	const res = await fetch(new URL(request.url!, data.serverUrl), { method: request.method, headers: { authorization: auth, accept: 'application/json' } });
	const text = await res.text();
	if (!res.ok) {
		const rule = test.rules?.find((r) => r.type === 'responseCode' && r.properties.value === res.status);
		return { status: 'Error', message: rule?.properties.message ?? `Received HTTP status code: ${res.status}` };
	}
	let body: unknown = text;
	try {
		body = JSON.parse(text);
	} catch {
		// n8n keeps a body that is not JSON as it came
	}
	for (const rule of test.rules ?? []) {
		if (rule.type === 'responseSuccessBody' && valueAt(body, rule.properties.key) === rule.properties.value) {
			return { status: 'Error', message: rule.properties.message };
		}
	}
	return { status: 'OK', message: 'Connection successful!' };
}

/** A server that is not Agent Bridge and answers 200 to everything, as n8n's own editor does for unknown paths. */
async function startOtherServer(body: string, contentType: string): Promise<{ url: string; server: Server }> {
	const server = createServer((_req, res) => res.writeHead(200, { 'content-type': contentType }).end(body));
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe('Agent Bridge API credential', () => {
	const credential = new AgentBridgeApi();

	it('has the agreed names and fields', () => {
		expect(credential.name).toBe('agentBridgeApi');
		expect(credential.displayName).toBe('Agent Bridge API');
		const [serverUrl, apiKey] = credential.properties;
		expect(serverUrl).toMatchObject({ name: 'serverUrl', default: 'http://localhost:3000' });
		expect(apiKey).toMatchObject({ name: 'apiKey', typeOptions: { password: true } });
	});

	it('authenticates with a bearer header', () => {
		expect(credential.authenticate).toEqual({
			type: 'generic',
			properties: { headers: { Authorization: '=Bearer {{$credentials.apiKey}}' } },
		});
	});

	it('has light and dark icons', () => {
		expect(credential.icon).toEqual({
			light: 'file:../nodes/shared/agentBridge.svg',
			dark: 'file:../nodes/shared/agentBridge.dark.svg',
		});
	});

	describe('its Test', () => {
		let agentBridge: TestApp;
		let serverUrl: string;
		beforeAll(async () => {
			agentBridge = await buildTestApp();
			serverUrl = await agentBridge.app.listen({ port: 0, host: '127.0.0.1' });
		}, 30_000);
		afterAll(() => agentBridge.close());

		it('passes against an Agent Bridge server with a right key', async () => {
			expect(await runCredentialTest(credential, { serverUrl, apiKey: agentBridge.apiKey })).toEqual({ status: 'OK', message: 'Connection successful!' });
		});

		it('passes with a trailing slash on the server URL', async () => {
			expect(await runCredentialTest(credential, { serverUrl: `${serverUrl}/`, apiKey: agentBridge.apiKey })).toMatchObject({ status: 'OK' });
		});

		it('reports a wrong key as a wrong key', async () => {
			const result = await runCredentialTest(credential, { serverUrl, apiKey: 'ab_wrong_key_000000000000' });
			expect(result).toEqual({ status: 'Error', message: expect.stringMatching(/API Key/) });
		});

		it.each([
			['a web page', '<!doctype html><html><body>n8n</body></html>', 'text/html'],
			['JSON of another API', JSON.stringify({ id: 'ws_1', name: 'Default workspace', version: '1.0.0' }), 'application/json'],
		])('fails against a server that is not Agent Bridge and answers 200 with %s', async (_what, body, contentType) => {
			const other = await startOtherServer(body, contentType);
			try {
				const result = await runCredentialTest(credential, { serverUrl: other.url, apiKey: agentBridge.apiKey });
				expect(result).toEqual({ status: 'Error', message: expect.stringMatching(/not an Agent Bridge server.*Server URL/) });
			} finally {
				other.server.close();
			}
		});

		it('fails against a server that answers 404', async () => {
			const other = createServer((_req, res) => res.writeHead(404).end('Not Found'));
			await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
			try {
				const url = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
				expect(await runCredentialTest(credential, { serverUrl: url, apiKey: 'x' })).toEqual({ status: 'Error', message: expect.stringMatching(/Server URL/) });
			} finally {
				other.close();
			}
		});
	});
});
