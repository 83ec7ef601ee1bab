// The API description: OpenAPI 3 generated from the routes' own zod schemas, served at GET /docs (JSON) and /docs/openapi.yaml.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import swagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';

const { version } = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };

/** Register before any route: the generator records routes as they are added. */
export async function installOpenApi(app: FastifyInstance): Promise<void> {
	await app.register(swagger, {
		openapi: {
			openapi: '3.0.3',
			info: {
				title: 'Agent Bridge agent server',
				version,
				description: 'HTTP API of the Agent Bridge agent server. Guide: docs/api.md in the repository.',
			},
			components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'a workspace API key' } } },
			security: [{ apiKey: [] }],
		},
		// Only /v1 asks for an API key; health, metrics, the widget and the inspector have their own rules.
		transform: (input) => {
			const out = jsonSchemaTransform(input);
			return input.url.startsWith('/v1/') ? out : { ...out, schema: { ...out.schema, security: [] } };
		},
	});
	app.get('/docs', async () => app.swagger());
	app.get('/docs/openapi.yaml', async (_request, reply) => {
		reply.type('application/yaml');
		return app.swagger({ yaml: true });
	});
}
