import type {
	IAuthenticateGeneric,
	ICredentialTestRequest,
	ICredentialType,
	Icon,
	INodeProperties,
} from 'n8n-workflow';

const NOT_AGENT_BRIDGE = 'Something answered at this address, but not an Agent Bridge server: check the Server URL';

export class AgentBridgeApi implements ICredentialType {
	name = 'agentBridgeApi';

	displayName = 'Agent Bridge API';

	documentationUrl = 'https://github.com/agent-bridge/agent-bridge/blob/main/docs/nodes.md#credential';

	icon: Icon = {
		light: 'file:../nodes/shared/agentBridge.svg',
		dark: 'file:../nodes/shared/agentBridge.dark.svg',
	};

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

	// n8n's Test calls /v1/whoami, which answers the workspace and the server's version. n8n turns the answers into what
	// the user sees: 401/403 → the messages below; 404, or a 2xx without `agentBridge.version` (any other server that
	// says 200, n8n's own editor included) → not an Agent Bridge server; no answer at all → the network error code
	// (ECONNREFUSED, ENOTFOUND, ETIMEDOUT...), which means a wrong Server URL or a server that is down.
	// The HTTP client joins baseURL and url, so a trailing slash on the server URL is harmless.
	test: ICredentialTestRequest = {
		request: {
			baseURL: '={{$credentials.serverUrl}}',
			url: '/v1/whoami',
			method: 'GET',
		},
		rules: [
			{
				type: 'responseCode',
				properties: {
					value: 401,
					message: 'The server is reachable but rejected the API key: check the API Key',
				},
			},
			{
				type: 'responseCode',
				properties: {
					value: 403,
					message: 'The server is reachable but this API key may not be used: check the API Key',
				},
			},
			{
				type: 'responseCode',
				properties: {
					value: 404,
					message: NOT_AGENT_BRIDGE,
				},
			},
			{
				// n8n fails the test when the value at `key` equals `value`: here, when the field is missing.
				type: 'responseSuccessBody',
				properties: { key: 'agentBridge.version', value: undefined, message: NOT_AGENT_BRIDGE },
			},
			// n8n's tester reads each rule by its type, error statuses and 2xx bodies from one list; the declared type
			// allows one kind per list.
		] as ICredentialTestRequest['rules'],
	};
}
