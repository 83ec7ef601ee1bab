// n8n's community rule sets over the published package: nodes, credentials and package.json.
const n8nNodesBase = require('eslint-plugin-n8n-nodes-base');
const tsParser = require('@typescript-eslint/parser');

module.exports = [
	{ ignores: ['dist/**', 'node_modules/**', 'agent-server/**', 'test/**', '**/*.test.ts', '**/*.js', '!package.json'] },
	{
		files: ['package.json'],
		languageOptions: { parser: tsParser, parserOptions: { extraFileExtensions: ['.json'] } },
		plugins: { 'n8n-nodes-base': n8nNodesBase },
		rules: { ...n8nNodesBase.configs.community.rules },
	},
	{
		files: ['credentials/**/*.ts'],
		languageOptions: { parser: tsParser, parserOptions: { sourceType: 'module' } },
		plugins: { 'n8n-nodes-base': n8nNodesBase },
		rules: {
			...n8nNodesBase.configs.credentials.rules,
			// Main-repository rule (documentation slugs); a community credential links to a full URL.
			'n8n-nodes-base/cred-class-field-documentation-url-miscased': 'off',
		},
	},
	{
		files: ['nodes/**/*.ts'],
		languageOptions: { parser: tsParser, parserOptions: { sourceType: 'module' } },
		plugins: { 'n8n-nodes-base': n8nNodesBase },
		rules: {
			...n8nNodesBase.configs.nodes.rules,
			// All Agent Bridge nodes share one folder (icon, GenericFunctions), as n8n's own Stripe/StripeTrigger do.
			'n8n-nodes-base/node-dirname-against-convention': 'off',
		},
	},
	{
		// The node type name `agentBridgeContact` is used by saved workflows and must not collide with other
		// packages' "contact" nodes; the file keeps the short name. n8n loads the class by file name (`Contact`).
		files: ['nodes/AgentBridge/Contact.node.ts'],
		rules: { 'n8n-nodes-base/node-filename-against-convention': 'off' },
	},
];
