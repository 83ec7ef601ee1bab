import { AgentBridgeApi } from '../../credentials/AgentBridgeApi.credentials';

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

	it('is tested against the workspace route', () => {
		expect(credential.test.request).toEqual({
			baseURL: '={{$credentials.serverUrl}}',
			url: '/v1/workspace',
			method: 'GET',
		});
	});

	it('tells a wrong key (401/403) from a wrong address (404)', () => {
		const rules = (credential.test.rules ?? []) as Array<{ type: string; properties: { value: number; message: string } }>;
		expect(rules.map((r) => [r.type, r.properties.value])).toEqual([
			['responseCode', 401],
			['responseCode', 403],
			['responseCode', 404],
		]);
		expect(rules[0].properties.message).toMatch(/API Key/);
		expect(rules[2].properties.message).toMatch(/Server URL/);
	});

	it('has light and dark icons', () => {
		expect(credential.icon).toEqual({
			light: 'file:../nodes/shared/agentBridge.svg',
			dark: 'file:../nodes/shared/agentBridge.dark.svg',
		});
	});
});
