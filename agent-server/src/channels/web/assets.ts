// Static pages served by the server itself: the embeddable widget script and the builder's inspector.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyPluginAsync } from 'fastify';

// src/channels/web and dist/channels/web are both three levels below agent-server/.
export const PUBLIC_DIR = path.resolve(__dirname, '..', '..', '..', 'public');

/** The inspector's and the console's pages: nothing but this server's own files, never framed. */
export const PAGE_HEADERS = {
	'content-security-policy':
		"default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
	'x-content-type-options': 'nosniff',
	'referrer-policy': 'no-referrer',
	'cache-control': 'no-store',
};

export const assetRoutes: FastifyPluginAsync<{ publicDir?: string }> = async (app, { publicDir = PUBLIC_DIR }) => {
	// Read once per app: the files are part of the release.
	const read = (name: string) => readFileSync(path.join(publicDir, name), 'utf8');
	const widget = read('widget.js');
	const inspector = { html: read('inspector.html'), js: read('inspector.js'), css: read('inspector.css') };

	app.get('/widget.js', async (_request, reply) =>
		reply
			.header('content-type', 'text/javascript; charset=utf-8')
			.header('cache-control', 'public, max-age=300')
			// Sites that isolate themselves (COEP) may still load it.
			.header('cross-origin-resource-policy', 'cross-origin')
			.header('x-content-type-options', 'nosniff')
			.send(widget),
	);
	app.get('/inspector', async (_request, reply) => reply.headers(PAGE_HEADERS).header('content-type', 'text/html; charset=utf-8').send(inspector.html));
	app.get('/inspector/inspector.js', async (_request, reply) =>
		reply.headers(PAGE_HEADERS).header('content-type', 'text/javascript; charset=utf-8').send(inspector.js),
	);
	app.get('/inspector/inspector.css', async (_request, reply) =>
		reply.headers(PAGE_HEADERS).header('content-type', 'text/css; charset=utf-8').send(inspector.css),
	);
};
