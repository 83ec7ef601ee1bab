// n8n's community rule sets over the published package: nodes, credentials and package.json. Both plugins run:
// eslint-plugin-n8n-nodes-base (parameter and description style) and @n8n/eslint-plugin-community-nodes (what
// n8n checks before it lists or verifies a community package: imports, globals, icons, lifecycle, errors).
const n8nNodesBase = require('eslint-plugin-n8n-nodes-base');
const { configs: communityConfigs } = require('@n8n/eslint-plugin-community-nodes');
const tsParser = require('@typescript-eslint/parser');

const community = communityConfigs.recommended;

module.exports = [
	{ ignores: ['dist/**', 'node_modules/**', 'agent-server/**', 'test/**', '**/*.test.ts', '**/__tests__/**', '**/*.js', '!package.json'] },
	{
		files: ['package.json'],
		languageOptions: { parser: tsParser, parserOptions: { extraFileExtensions: ['.json'] } },
		plugins: { 'n8n-nodes-base': n8nNodesBase, ...community.plugins },
		rules: {
			...n8nNodesBase.configs.community.rules,
			...community.rules,
			// The package has no public maintainer address yet; set `author.email` before publishing.
			'@n8n/community-nodes/valid-author': 'off',
		},
	},
	{
		files: ['credentials/**/*.ts'],
		languageOptions: { parser: tsParser, parserOptions: { sourceType: 'module' } },
		plugins: { 'n8n-nodes-base': n8nNodesBase, ...community.plugins },
		rules: {
			...n8nNodesBase.configs.credentials.rules,
			...community.rules,
			// Main-repository rule (documentation slugs); a community credential links to a full URL.
			'n8n-nodes-base/cred-class-field-documentation-url-miscased': 'off',
		},
	},
	{
		files: ['nodes/**/*.ts'],
		languageOptions: { parser: tsParser, parserOptions: { sourceType: 'module' } },
		plugins: { 'n8n-nodes-base': n8nNodesBase, ...community.plugins },
		rules: {
			...n8nNodesBase.configs.nodes.rules,
			...community.rules,
			// The two plugins disagree on inputs/outputs; n8n's current rule wants `NodeConnectionTypes.Main`, which
			// both n8n 2.x and current 1.x export (it is the string 'main' at runtime).
			'n8n-nodes-base/node-class-description-inputs-wrong-regular-node': 'off',
			'n8n-nodes-base/node-class-description-outputs-wrong': 'off',
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
