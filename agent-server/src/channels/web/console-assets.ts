// The console's pages (inbox, login, numbers, management), their scripts and styles, and the chart library (uPlot, from the server's own
// node_modules: the pages load nothing from another origin), under the inspector's strict Content-Security-Policy.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyPluginAsync } from 'fastify';
import { PAGE_HEADERS, PUBLIC_DIR } from './assets';

const TYPES = { html: 'text/html; charset=utf-8', js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8' } as const;

/** URL -> file under public/console (or the chart library's folder), read once per app: they are part of the release. */
const FILES: Record<string, { file: string; type: keyof typeof TYPES; vendor?: boolean }> = {
	'/console': { file: 'console.html', type: 'html' },
	'/console/login': { file: 'login.html', type: 'html' },
	'/console/console.css': { file: 'console.css', type: 'css' },
	'/console/api.js': { file: 'api.js', type: 'js' },
	'/console/live.js': { file: 'live.js', type: 'js' },
	'/console/inbox.js': { file: 'inbox.js', type: 'js' },
	'/console/login.js': { file: 'login.js', type: 'js' },
	'/console/numbers': { file: 'numbers.html', type: 'html' },
	'/console/numbers.js': { file: 'numbers.js', type: 'js' },
	'/console/manage': { file: 'manage.html', type: 'html' },
	'/console/manage.js': { file: 'manage.js', type: 'js' },
	'/console/pages.js': { file: 'pages.js', type: 'js' },
	'/console/pages.css': { file: 'pages.css', type: 'css' },
	'/console/vendor/uplot.js': { file: 'uPlot.iife.min.js', type: 'js', vendor: true },
	'/console/vendor/uplot.css': { file: 'uPlot.min.css', type: 'css', vendor: true },
};

function chartLibraryDir(): string {
	return path.join(path.dirname(require.resolve('uplot/package.json')), 'dist');
}

export const consoleAssetRoutes: FastifyPluginAsync<{ publicDir?: string }> = async (app, { publicDir = PUBLIC_DIR }) => {
	const vendorDir = chartLibraryDir();
	for (const [url, { file, type, vendor }] of Object.entries(FILES)) {
		const body = readFileSync(path.join(vendor ? vendorDir : path.join(publicDir, 'console'), file), 'utf8');
		app.get(url, async (_request, reply) => reply.headers(PAGE_HEADERS).header('content-type', TYPES[type]).send(body));
	}
};
