import { AgentBridgeApi } from './AgentBridgeApi.credentials';

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
});
