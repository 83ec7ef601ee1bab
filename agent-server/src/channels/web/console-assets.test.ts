// The console's numbers and management pages are served by the server with the inspector's strict
// Content-Security-Policy, and everything they load (their scripts, styles and the chart library) is on this origin.
import { buildTestApp, type TestApp } from '../../testing/harness';

let t: TestApp;
beforeAll(async () => {
	t = await buildTestApp();
});
afterAll(async () => t?.close());

const get = (url: string) => t.app.inject({ method: 'GET', url });

test.each(['/console/numbers', '/console/manage'])('%s and every file it loads come from this server under the strict policy', async (page) => {
	const html = await get(page);
	expect(html.statusCode).toBe(200);
	expect(html.headers['content-type']).toBe('text/html; charset=utf-8');
	expect(html.headers['content-security-policy']).toMatch(/default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'/);
	const loaded = [...html.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]).filter((u) => !u.startsWith('/console') || /\.(js|css)$/.test(u));
	const assets = loaded.filter((u) => /\.(js|css)$/.test(u));
	expect(assets.length).toBeGreaterThanOrEqual(3);
	for (const url of assets) {
		expect(url).toMatch(/^\/(console|inspector)\//);
		const res = await get(url);
		expect({ url, status: res.statusCode }).toEqual({ url, status: 200 });
		expect(res.headers['content-security-policy']).toBe(html.headers['content-security-policy']);
		// The pages' own scripts name no other origin (the chart library is checked by the policy above).
		if (!url.includes('/vendor/')) expect(res.body).not.toMatch(/https?:\/\//);
	}
});

test('the chart library is the bundled uPlot', async () => {
	const res = await get('/console/vendor/uplot.js');
	expect(res.headers['content-type']).toBe('text/javascript; charset=utf-8');
	expect(res.body).toContain('uPlot');
	expect((await get('/console/vendor/uplot.css')).body).toContain('.uplot');
});
