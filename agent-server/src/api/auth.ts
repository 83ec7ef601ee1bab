// Resolves "Authorization: Bearer <key>" to the workspace; every /v1 route runs behind it.
import type { FastifyInstance } from 'fastify';
import type { Store } from '../store/database';
import { findWorkspaceByApiKey } from '../store/workspaces';

declare module 'fastify' {
	interface FastifyRequest {
		workspaceId: string;
	}
}

export function installAuth(scope: FastifyInstance, store: Store): void {
	scope.addHook('onRequest', async (request, reply) => {
		const header = request.headers.authorization;
		const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
		if (!match) {
			return reply
				.status(401)
				.send({ statusCode: 401, error: 'Unauthorized', message: 'missing API key: send the header "Authorization: Bearer <api key>"' });
		}
		const workspace = await findWorkspaceByApiKey(store.db, match[1]);
		if (!workspace) return reply.status(401).send({ statusCode: 401, error: 'Unauthorized', message: 'invalid API key' });
		request.workspaceId = workspace.id;
	});
}
