import type {
	IAuthenticateGeneric,
	ICredentialTestRequest,
	ICredentialType,
	Icon,
	INodeProperties,
} from 'n8n-workflow';

export class AgentBridgeApi implements ICredentialType {
	name = 'agentBridgeApi';

	displayName = 'Agent Bridge API';

	documentationUrl = 'https://github.com/agent-bridge/agent-bridge#credentials';

	icon: Icon = 'file:../nodes/AgentBridge/agentBridge.svg';

	properties: INodeProperties[] = [
		{
			displayName: 'Server URL',
			name: 'serverUrl',
			type: 'string',
			default: 'http://localhost:3000',
			placeholder: 'https://agents.example.com',
			description: 'Base URL of the Agent Bridge server, without a trailing path',
			required: true,
		},
		{
			displayName: 'API Key',
			name: 'apiKey',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			description: 'API key of the workspace; it decides which agents, contacts and conversations are visible',
			required: true,
		},
	];

	authenticate: IAuthenticateGeneric = {
		type: 'generic',
		properties: {
			headers: {
				Authorization: '=Bearer {{$credentials.apiKey}}',
			},
		},
	};

	// 401 here means a wrong key; the workspace route is the cheapest authenticated call.
	// The HTTP client joins baseURL and url, so a trailing slash on the server URL is harmless.
	test: ICredentialTestRequest = {
		request: {
			baseURL: '={{$credentials.serverUrl}}',
			url: '/v1/workspace',
			method: 'GET',
		},
	};
}
